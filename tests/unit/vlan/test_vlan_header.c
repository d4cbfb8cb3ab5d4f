/* vlan header functions: TCI fields, stack parsing with every truncation,
 * push, pop, VID and PCP rewrite, and the name tables. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "vlan_frames.h"

static const struct test_tag no_tags[] = { { 0 } };
static const struct test_tag one_c[] = {
	{ VLAN_TPID_8021Q, 5, 1, 100 }, { 0 } };
static const struct test_tag s_and_c[] = {
	{ VLAN_TPID_8021AD, 3, 0, 2001 }, { VLAN_TPID_8021Q, 6, 1, 42 }, { 0 } };
static const struct test_tag three[] = {
	{ VLAN_TPID_8021AD, 1, 0, 10 }, { VLAN_TPID_8021Q, 2, 0, 20 },
	{ VLAN_TPID_8021Q, 3, 0, 30 } };

static void test_tci_fields(void **state)
{
	(void)state;
	assert_int_equal(vlan_tci(5, 1, 100), 0xb064);
	assert_int_equal(vlan_tci(7, 0, 4095), 0xefff);
	for (unsigned pcp = 0; pcp < 8; pcp++)
		for (unsigned dei = 0; dei < 2; dei++)
			for (unsigned vid = 0; vid < VLAN_VID_COUNT; vid++) {
				uint16_t tci = vlan_tci((uint8_t)pcp,
							(uint8_t)dei,
							(uint16_t)vid);
				if (vlan_tci_pcp(tci) != pcp ||
				    vlan_tci_dei(tci) != dei ||
				    vlan_tci_vid(tci) != vid)
					fail_msg("TCI %u/%u/%u -> %#x", pcp,
						 dei, vid, tci);
			}
	/* Out-of-range inputs are masked, never spill into other fields. */
	assert_int_equal(vlan_tci(8, 2, 4096), 0);
}

static void test_is_tpid(void **state)
{
	(void)state;
	assert_true(vlan_is_tpid(0x8100));
	assert_true(vlan_is_tpid(0x88a8));
	assert_true(vlan_is_tpid(0x9100));
	assert_false(vlan_is_tpid(0x0800));
	assert_false(vlan_is_tpid(0x86dd));
	assert_false(vlan_is_tpid(0x88a9));
	assert_false(vlan_is_tpid(0x8101));
	assert_false(vlan_is_tpid(0x0081));
}

static void test_parse_untagged(void **state)
{
	(void)state;
	struct test_frame f;
	struct vlan_stack s;

	test_frame_build(&f, no_tags, 0x86dd, 46, 0);
	assert_int_equal(vlan_parse(f.data, f.length, &s), VLAN_OK);
	assert_int_equal(s.depth, 0);
	assert_int_equal(s.ethertype_offset, 12);
	assert_int_equal(s.ethertype, 0x86dd);

	/* The shortest frame that has an EtherType. */
	assert_int_equal(vlan_parse(f.data, 14, &s), VLAN_OK);
	assert_int_equal(s.ethertype, 0x86dd);
}

static void test_parse_one_tag_each_tpid(void **state)
{
	(void)state;
	const uint16_t tpids[] = { VLAN_TPID_8021Q, VLAN_TPID_8021AD,
				   VLAN_TPID_9100 };
	for (unsigned i = 0; i < 3; i++) {
		struct test_tag tags[] = { { tpids[i], (uint8_t)(i + 4),
					     (uint8_t)(i & 1),
					     (uint16_t)(4094 - i) },
					   { 0 } };
		struct test_frame f;
		struct vlan_stack s;
		test_frame_build(&f, tags, 0x0800, 46, 0);
		assert_int_equal(vlan_parse(f.data, f.length, &s), VLAN_OK);
		assert_int_equal(s.depth, 1);
		assert_int_equal(s.tags[0].tpid, tpids[i]);
		assert_int_equal(s.tags[0].pcp, i + 4);
		assert_int_equal(s.tags[0].dei, i & 1);
		assert_int_equal(s.tags[0].vid, 4094 - i);
		assert_int_equal(s.ethertype_offset, 16);
		assert_int_equal(s.ethertype, 0x0800);
	}
}

static void test_parse_two_tags(void **state)
{
	(void)state;
	struct test_frame f;
	struct vlan_stack s;

	test_frame_build(&f, s_and_c, 0x0806, 28, 0);
	assert_int_equal(vlan_parse(f.data, f.length, &s), VLAN_OK);
	assert_int_equal(s.depth, 2);
	assert_int_equal(s.tags[0].tpid, VLAN_TPID_8021AD);
	assert_int_equal(s.tags[0].pcp, 3);
	assert_int_equal(s.tags[0].dei, 0);
	assert_int_equal(s.tags[0].vid, 2001);
	assert_int_equal(s.tags[1].tpid, VLAN_TPID_8021Q);
	assert_int_equal(s.tags[1].pcp, 6);
	assert_int_equal(s.tags[1].dei, 1);
	assert_int_equal(s.tags[1].vid, 42);
	assert_int_equal(s.ethertype_offset, 20);
	assert_int_equal(s.ethertype, 0x0806);
}

static void test_parse_three_tags_too_deep(void **state)
{
	(void)state;
	struct test_frame f;
	struct vlan_stack s;

	test_frame_build(&f, three, 0x0800, 46, 0);
	assert_int_equal(vlan_parse(f.data, f.length, &s), VLAN_DROP_too_deep);
	assert_int_equal(s.depth, 2);
	assert_int_equal(s.ethertype_offset, 0);
}

/* Every cut of every stack depth: a frame is truncated exactly when it
 * ends before the EtherType that follows its tags. */
static void test_parse_truncated_every_length(void **state)
{
	(void)state;
	const struct test_tag *stacks[] = { no_tags, one_c, s_and_c, three };

	for (unsigned depth = 0; depth < 4; depth++) {
		struct test_frame f;
		test_frame_build(&f, stacks[depth], 0x0800, 8, 0);
		/* Bytes needed to decide: the EtherType after the tags, or
		 * the third TPID for the three-tag stack. */
		size_t needed = depth < 3 ? 12 + 4 * depth + 2 : 22;
		for (size_t length = 0; length <= f.length; length++) {
			struct vlan_stack s;
			enum vlan_verdict got = vlan_parse(f.data, length, &s);
			enum vlan_verdict want =
				length < needed ? VLAN_DROP_truncated :
				depth == 3	? VLAN_DROP_too_deep :
						  VLAN_OK;
			if (got != want)
				fail_msg("depth %u length %zu: %s, want %s",
					 depth, length,
					 vlan_verdict_names[got],
					 vlan_verdict_names[want]);
			if (got == VLAN_OK)
				assert_int_equal(s.depth, depth);
			else
				assert_int_equal(s.ethertype_offset, 0);
		}
	}
}

/* The parser reads nothing past length: a frame that ends right after a
 * tag's TPID, in a buffer that ends there too, is truncated (ASan would
 * see a read past the end). */
static void test_parse_reads_within_length(void **state)
{
	(void)state;
	uint8_t exact[14];
	memset(exact, 0, sizeof(exact));
	vlan_write16(exact + 12, VLAN_TPID_8021Q);
	struct vlan_stack s;
	assert_int_equal(vlan_parse(exact, sizeof(exact), &s),
			 VLAN_DROP_truncated);
	assert_int_equal(vlan_parse(exact, 0, &s), VLAN_DROP_truncated);
}

static void test_push(void **state)
{
	(void)state;
	struct test_frame f, orig;

	test_frame_build(&f, no_tags, 0x0800, 46, 0);
	test_frame_build(&orig, no_tags, 0x0800, 46, 0);
	uint8_t *start = vlan_push(f.data, f.length, test_frame_headroom(&f),
				   VLAN_TPID_8021AD, vlan_tci(6, 1, 3000));
	assert_ptr_equal(start, f.data - 4);
	assert_memory_equal(start, test_dst, 6);
	assert_memory_equal(start + 6, test_src, 6);
	assert_int_equal(vlan_read16(start + 12), 0x88a8);
	assert_int_equal(vlan_read16(start + 14), vlan_tci(6, 1, 3000));
	/* Everything from the old EtherType on did not move. */
	assert_memory_equal(start + 16, orig.data + 12, f.length - 12);

	struct vlan_stack s;
	assert_int_equal(vlan_parse(start, f.length + 4, &s), VLAN_OK);
	assert_int_equal(s.depth, 1);
	assert_int_equal(s.tags[0].vid, 3000);
	assert_int_equal(s.ethertype, 0x0800);
}

static void test_push_on_tagged_stacks(void **state)
{
	(void)state;
	struct test_frame f;

	test_frame_build(&f, one_c, 0x0800, 46, 0);
	uint8_t *start = vlan_push(f.data, f.length, 4, VLAN_TPID_8021AD,
				   vlan_tci(0, 0, 7));
	assert_non_null(start);
	struct vlan_stack s;
	assert_int_equal(vlan_parse(start, f.length + 4, &s), VLAN_OK);
	assert_int_equal(s.depth, 2);
	assert_int_equal(s.tags[0].tpid, 0x88a8);
	assert_int_equal(s.tags[0].vid, 7);
	assert_int_equal(s.tags[1].tpid, 0x8100);
	assert_int_equal(s.tags[1].vid, 100);
	assert_int_equal(s.tags[1].pcp, 5);
}

static void test_push_needs_headroom_and_macs(void **state)
{
	(void)state;
	struct test_frame f;

	test_frame_build(&f, no_tags, 0x0800, 46, 0);
	uint8_t before[sizeof(f.buffer)];
	memcpy(before, f.buffer, sizeof(before));
	assert_null(vlan_push(f.data, f.length, 3, 0x8100, 1));
	assert_null(vlan_push(f.data, f.length, 0, 0x8100, 1));
	assert_null(vlan_push(f.data, 11, 64, 0x8100, 1));
	assert_memory_equal(before, f.buffer, sizeof(before));
	/* Exactly 4 bytes is enough; 12 bytes (MACs only) is a frame. */
	assert_ptr_equal(vlan_push(f.data, 12, 4, 0x8100, 1), f.data - 4);
}

static void test_pop(void **state)
{
	(void)state;
	struct test_frame f, untagged;

	test_frame_build(&f, s_and_c, 0x0800, 46, 0);
	uint8_t *start = vlan_pop(f.data, f.length);
	assert_ptr_equal(start, f.data + 4);
	assert_memory_equal(start, test_dst, 6);
	assert_memory_equal(start + 6, test_src, 6);
	struct vlan_stack s;
	assert_int_equal(vlan_parse(start, f.length - 4, &s), VLAN_OK);
	assert_int_equal(s.depth, 1);
	assert_int_equal(s.tags[0].tpid, 0x8100);
	assert_int_equal(s.tags[0].vid, 42);

	start = vlan_pop(start, f.length - 4);
	assert_non_null(start);
	test_frame_build(&untagged, no_tags, 0x0800, 46, 0);
	assert_memory_equal(start, untagged.data, untagged.length);
}

static void test_pop_refuses(void **state)
{
	(void)state;
	struct test_frame f;

	test_frame_build(&f, no_tags, 0x0800, 46, 0);
	assert_null(vlan_pop(f.data, f.length)); /* no tag */
	test_frame_build(&f, one_c, 0x0800, 46, 0);
	assert_null(vlan_pop(f.data, 15)); /* tag cut short */
	assert_null(vlan_pop(f.data, 13));
	assert_non_null(vlan_pop(f.data, 16));
}

/* Push then pop gives back the frame, for every stack and PCP/DEI/VID. */
static void test_push_pop_round_trip(void **state)
{
	(void)state;
	const struct test_tag *stacks[] = { no_tags, one_c, s_and_c, three };

	for (unsigned i = 0; i < 4; i++) {
		for (unsigned v = 0; v < VLAN_VID_COUNT; v += 97) {
			struct test_frame f, orig;
			test_frame_build(&f, stacks[i], 0x0800, 30, 0);
			test_frame_build(&orig, stacks[i], 0x0800, 30, 0);
			uint16_t tci = vlan_tci((uint8_t)(v & 7),
						(uint8_t)(v & 1), (uint16_t)v);
			uint8_t *pushed = vlan_push(f.data, f.length, 4,
						    VLAN_TPID_9100, tci);
			assert_non_null(pushed);
			assert_int_equal(vlan_read16(pushed + 14), tci);
			uint8_t *popped = vlan_pop(pushed, f.length + 4);
			assert_ptr_equal(popped, f.data);
			assert_memory_equal(popped, orig.data, orig.length);
		}
	}
	/* Pop then push the same tag: also the identity. */
	struct test_frame f, orig;
	test_frame_build(&f, s_and_c, 0x0800, 30, 0);
	test_frame_build(&orig, s_and_c, 0x0800, 30, 0);
	uint8_t *popped = vlan_pop(f.data, f.length);
	uint8_t *pushed = vlan_push(popped, f.length - 4, 4, 0x88a8,
				    vlan_tci(3, 0, 2001));
	assert_ptr_equal(pushed, f.data);
	assert_memory_equal(pushed, orig.data, orig.length);
}

static void test_set_vid_keeps_pcp_dei(void **state)
{
	(void)state;
	struct test_frame f;

	test_frame_build(&f, s_and_c, 0x0800, 46, 0);
	assert_int_equal(vlan_set_vid(f.data, f.length, 4094), 0);
	struct vlan_stack s;
	assert_int_equal(vlan_parse(f.data, f.length, &s), VLAN_OK);
	assert_int_equal(s.tags[0].vid, 4094);
	assert_int_equal(s.tags[0].pcp, 3);
	assert_int_equal(s.tags[0].dei, 0);
	assert_int_equal(s.tags[1].vid, 42); /* inner untouched */
	assert_int_equal(s.tags[1].pcp, 6);

	test_frame_build(&f, one_c, 0x0800, 46, 0);
	for (unsigned vid = 0; vid < VLAN_VID_COUNT; vid++) {
		assert_int_equal(vlan_set_vid(f.data, f.length,
					      (uint16_t)vid), 0);
		uint16_t tci = vlan_read16(f.data + 14);
		assert_int_equal(tci, vlan_tci(5, 1, (uint16_t)vid));
	}
	assert_int_equal(vlan_set_vid(f.data, f.length, 4096), -1);
	assert_int_equal(vlan_set_vid(f.data, 15, 7), -1);
	test_frame_build(&f, no_tags, 0x0800, 46, 0);
	assert_int_equal(vlan_set_vid(f.data, f.length, 7), -1);
	assert_int_equal(vlan_read16(f.data + 12), 0x0800);
}

static void test_set_pcp_keeps_dei_vid(void **state)
{
	(void)state;
	struct test_frame f;

	test_frame_build(&f, one_c, 0x0800, 46, 0);
	for (unsigned pcp = 0; pcp < 8; pcp++) {
		assert_int_equal(vlan_set_pcp(f.data, f.length, (uint8_t)pcp),
				 0);
		assert_int_equal(vlan_read16(f.data + 14),
				 vlan_tci((uint8_t)pcp, 1, 100));
	}
	assert_int_equal(vlan_set_pcp(f.data, f.length, 8), -1);
	assert_int_equal(vlan_read16(f.data + 14), vlan_tci(7, 1, 100));
	assert_int_equal(vlan_set_pcp(f.data, 14, 1), -1);
	test_frame_build(&f, no_tags, 0x0800, 46, 0);
	assert_int_equal(vlan_set_pcp(f.data, f.length, 1), -1);
}

static void test_verdict_names(void **state)
{
	(void)state;
	assert_string_equal(vlan_verdict_names[VLAN_OK], "ok");
	/* The drop names are vswitch's: "vlan_" + the X-macro name. */
	assert_string_equal(vlan_verdict_names[VLAN_DROP_tagged_on_access],
			    "vlan_tagged_on_access");
	assert_string_equal(vlan_verdict_names[VLAN_DROP_push_failed],
			    "vlan_push_failed");
	for (unsigned i = 0; i < VLAN_VERDICT_MAX; i++) {
		assert_non_null(vlan_verdict_names[i]);
		assert_non_null(vlan_verdict_descriptions[i]);
		if (i)
			assert_int_equal(strncmp(vlan_verdict_names[i],
						 "vlan_", 5), 0);
		for (unsigned j = 0; j < i; j++)
			assert_string_not_equal(vlan_verdict_names[i],
						vlan_verdict_names[j]);
	}
	assert_int_equal(VLAN_VERDICT_MAX, 8);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tci_fields),
		cmocka_unit_test(test_is_tpid),
		cmocka_unit_test(test_parse_untagged),
		cmocka_unit_test(test_parse_one_tag_each_tpid),
		cmocka_unit_test(test_parse_two_tags),
		cmocka_unit_test(test_parse_three_tags_too_deep),
		cmocka_unit_test(test_parse_truncated_every_length),
		cmocka_unit_test(test_parse_reads_within_length),
		cmocka_unit_test(test_push),
		cmocka_unit_test(test_push_on_tagged_stacks),
		cmocka_unit_test(test_push_needs_headroom_and_macs),
		cmocka_unit_test(test_pop),
		cmocka_unit_test(test_pop_refuses),
		cmocka_unit_test(test_push_pop_round_trip),
		cmocka_unit_test(test_set_vid_keeps_pcp_dei),
		cmocka_unit_test(test_set_pcp_keeps_dei_vid),
		cmocka_unit_test(test_verdict_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
