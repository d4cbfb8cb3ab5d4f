/* The ingress matrix: every port mode (plus QinQ, 0x8100 QinQ, 0x9100 and
 * native QinQ variants) against every kind of input frame, with the exact
 * verdict, VID, PCP, DEI and tags to strip. Then the same frames taken to
 * every output port of one bridge domain whose VID differs per port
 * (translation), checking that what leaves is what the output port would
 * itself accept, with the PCP kept and the payload untouched. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "vlan_frames.h"

/* Ports. */
enum { A, T, NU, NT, Q, CQ, X, N9, QN, PORTS };
static const char *const port_names[PORTS] = {
	"access 10", "trunk 10,20,100", "native-untagged 1",
	"native-tagged 1", "QinQ 0x88a8 100,200", "QinQ 0x8100 10",
	"tunnel 30", "QinQ 0x9100 10", "native-untagged QinQ 300",
};
static struct vlan_port ports[PORTS];

static int ports_setup(void **state)
{
	(void)state;
	int rc = 0;
	rc |= vlan_port_init(&ports[A], VLAN_PORT_access, 10);
	rc |= vlan_port_set_pcp(&ports[A], 2);
	rc |= vlan_port_init(&ports[T], VLAN_PORT_trunk, 0);
	rc |= vlan_port_allow_list(&ports[T], "10,20,100");
	rc |= vlan_port_init(&ports[NU], VLAN_PORT_native_untagged, 1);
	rc |= vlan_port_allow_list(&ports[NU], "10,20");
	rc |= vlan_port_init(&ports[NT], VLAN_PORT_native_tagged, 1);
	rc |= vlan_port_allow_list(&ports[NT], "10,20");
	rc |= vlan_port_init(&ports[Q], VLAN_PORT_trunk, 0);
	rc |= vlan_port_set_tpid(&ports[Q], VLAN_TPID_8021AD, 1);
	rc |= vlan_port_allow_list(&ports[Q], "100,200");
	rc |= vlan_port_init(&ports[CQ], VLAN_PORT_trunk, 0);
	rc |= vlan_port_set_tpid(&ports[CQ], VLAN_TPID_8021Q, 1);
	rc |= vlan_port_allow_list(&ports[CQ], "10");
	rc |= vlan_port_init(&ports[X], VLAN_PORT_tunnel, 30);
	rc |= vlan_port_init(&ports[N9], VLAN_PORT_trunk, 0);
	rc |= vlan_port_set_tpid(&ports[N9], VLAN_TPID_9100, 1);
	rc |= vlan_port_allow_list(&ports[N9], "10");
	rc |= vlan_port_init(&ports[QN], VLAN_PORT_native_untagged, 300);
	rc |= vlan_port_set_tpid(&ports[QN], VLAN_TPID_8021AD, 1);
	rc |= vlan_port_allow_list(&ports[QN], "100");
	for (unsigned i = 0; i < PORTS; i++)
		if (vlan_port_check(&ports[i]))
			rc = -1;
	return rc;
}

/* Inputs. */
struct input {
	const char *name;
	struct test_tag tags[3];
	size_t cut; /* 0: whole frame */
};

#define C(pcp, dei, vid) { VLAN_TPID_8021Q, pcp, dei, vid }
#define S(pcp, dei, vid) { VLAN_TPID_8021AD, pcp, dei, vid }
#define O(pcp, dei, vid) { VLAN_TPID_9100, pcp, dei, vid }

enum {
	U, P, T10, T20, T999, T4095, S100, SC, SS, CC, CS, Q9, Q9C, PC, PS,
	T3, TR0, TR1, TR1E, TR2, TR2E, INPUTS
};
static const struct input inputs[INPUTS] = {
	[U] = { "untagged", { { 0 } }, 0 },
	[P] = { "priority-tagged", { C(5, 0, 0) }, 0 },
	[T10] = { "C-tag 10", { C(3, 0, 10) }, 0 },
	[T20] = { "C-tag 20 DEI", { C(1, 1, 20) }, 0 },
	[T999] = { "C-tag 999", { C(0, 0, 999) }, 0 },
	[T4095] = { "C-tag 4095", { C(7, 0, 4095) }, 0 },
	[S100] = { "S-tag 100", { S(4, 0, 100) }, 0 },
	[SC] = { "S 100 + C 10", { S(4, 0, 100), C(2, 0, 10) }, 0 },
	[SS] = { "S 100 + S 10", { S(4, 0, 100), S(2, 0, 10) }, 0 },
	[CC] = { "C 10 + C 20", { C(3, 0, 10), C(1, 0, 20) }, 0 },
	[CS] = { "C 10 + S 20", { C(3, 0, 10), S(1, 0, 20) }, 0 },
	[Q9] = { "0x9100 10", { O(6, 0, 10) }, 0 },
	[Q9C] = { "0x9100 10 + C 20", { O(6, 0, 10), C(2, 0, 20) }, 0 },
	[PC] = { "priority + C 20", { C(5, 0, 0), C(1, 0, 20) }, 0 },
	[PS] = { "priority S + C 20", { S(3, 0, 0), C(1, 0, 20) }, 0 },
	[T3] = { "three tags", { S(4, 0, 100), C(2, 0, 10), C(1, 0, 20) },
		 0 },
	[TR0] = { "13 bytes", { { 0 } }, 13 },
	[TR1] = { "C-tag cut in TCI", { C(3, 0, 10) }, 15 },
	[TR1E] = { "C-tag cut in EtherType", { C(3, 0, 10) }, 17 },
	[TR2] = { "S + C cut in C TCI", { S(4, 0, 100), C(2, 0, 10) }, 19 },
	[TR2E] = { "S + C cut in EtherType", { S(4, 0, 100), C(2, 0, 10) },
		   21 },
};

struct expect {
	uint8_t verdict;
	uint16_t vid;
	uint8_t pcp, dei, strip, inner;
};

#define OK(vid, pcp, dei, strip, inner) { VLAN_OK, vid, pcp, dei, strip, inner }
#define D(reason) { VLAN_DROP_##reason, 0, 0, 0, 0, 0 }
#define ALL(reason) { D(reason), D(reason), D(reason), D(reason), D(reason), \
		      D(reason), D(reason), D(reason), D(reason) }

/* [input][port]: A, T, NU, NT, Q, CQ, X, N9, QN */
static const struct expect matrix[INPUTS][PORTS] = {
	[U] = { OK(10, 2, 0, 0, 0), D(untagged_not_allowed), OK(1, 0, 0, 0, 0),
		OK(1, 0, 0, 0, 0), D(untagged_not_allowed),
		D(untagged_not_allowed), OK(30, 0, 0, 0, 0),
		D(untagged_not_allowed), OK(300, 0, 0, 0, 0) },
	[P] = { OK(10, 5, 0, 1, 0), D(untagged_not_allowed), OK(1, 5, 0, 1, 0),
		OK(1, 5, 0, 1, 0), D(tpid_mismatch), D(untagged_not_allowed),
		OK(30, 5, 0, 0, 1), D(tpid_mismatch), D(tpid_mismatch) },
	[T10] = { D(tagged_on_access), OK(10, 3, 0, 1, 0), OK(10, 3, 0, 1, 0),
		  OK(10, 3, 0, 1, 0), D(tpid_mismatch), OK(10, 3, 0, 1, 0),
		  OK(30, 3, 0, 0, 1), D(tpid_mismatch), D(tpid_mismatch) },
	[T20] = { D(tagged_on_access), OK(20, 1, 1, 1, 0), OK(20, 1, 1, 1, 0),
		  OK(20, 1, 1, 1, 0), D(tpid_mismatch), D(not_allowed),
		  OK(30, 1, 1, 0, 1), D(tpid_mismatch), D(tpid_mismatch) },
	[T999] = { D(tagged_on_access), D(not_allowed), D(not_allowed),
		   D(not_allowed), D(tpid_mismatch), D(not_allowed),
		   OK(30, 0, 0, 0, 1), D(tpid_mismatch), D(tpid_mismatch) },
	[T4095] = { D(tagged_on_access), D(not_allowed), D(not_allowed),
		    D(not_allowed), D(tpid_mismatch), D(not_allowed),
		    OK(30, 7, 0, 0, 1), D(tpid_mismatch), D(tpid_mismatch) },
	[S100] = { D(tagged_on_access), D(tpid_mismatch), D(tpid_mismatch),
		   D(tpid_mismatch), OK(100, 4, 0, 1, 0), D(tpid_mismatch),
		   D(tpid_mismatch), D(tpid_mismatch), OK(100, 4, 0, 1, 0) },
	[SC] = { D(tagged_on_access), D(tpid_mismatch), D(tpid_mismatch),
		 D(tpid_mismatch), OK(100, 4, 0, 1, 1), D(tpid_mismatch),
		 D(too_deep), D(tpid_mismatch), OK(100, 4, 0, 1, 1) },
	[SS] = { D(tagged_on_access), D(tpid_mismatch), D(tpid_mismatch),
		 D(tpid_mismatch), D(tpid_mismatch), D(tpid_mismatch),
		 D(too_deep), D(tpid_mismatch), D(tpid_mismatch) },
	[CC] = { D(tagged_on_access), D(too_deep), D(too_deep), D(too_deep),
		 D(tpid_mismatch), OK(10, 3, 0, 1, 1), D(too_deep),
		 D(tpid_mismatch), D(tpid_mismatch) },
	[CS] = { D(tagged_on_access), D(too_deep), D(too_deep), D(too_deep),
		 D(tpid_mismatch), D(tpid_mismatch), D(too_deep),
		 D(tpid_mismatch), D(tpid_mismatch) },
	[Q9] = { D(tagged_on_access), D(tpid_mismatch), D(tpid_mismatch),
		 D(tpid_mismatch), D(tpid_mismatch), D(tpid_mismatch),
		 D(tpid_mismatch), OK(10, 6, 0, 1, 0), D(tpid_mismatch) },
	[Q9C] = { D(tagged_on_access), D(tpid_mismatch), D(tpid_mismatch),
		  D(tpid_mismatch), D(tpid_mismatch), D(tpid_mismatch),
		  D(too_deep), OK(10, 6, 0, 1, 1), D(tpid_mismatch) },
	[PC] = { D(tagged_on_access), D(untagged_not_allowed), D(too_deep),
		 D(too_deep), D(tpid_mismatch), D(untagged_not_allowed),
		 D(too_deep), D(tpid_mismatch), D(tpid_mismatch) },
	[PS] = { D(tagged_on_access), D(tpid_mismatch), D(tpid_mismatch),
		 D(tpid_mismatch), D(untagged_not_allowed), D(tpid_mismatch),
		 D(too_deep), D(tpid_mismatch), OK(300, 3, 0, 1, 1) },
	[T3] = ALL(too_deep),
	[TR0] = ALL(truncated),
	[TR1] = ALL(truncated),
	[TR1E] = ALL(truncated),
	[TR2] = ALL(truncated),
	[TR2E] = ALL(truncated),
};

static void build_input(struct test_frame *f, unsigned i)
{
	test_frame_build(f, inputs[i].tags, 0x0800, 46, inputs[i].cut);
}

static void check_classification(unsigned i, unsigned p,
				 const struct expect *want)
{
	struct test_frame f;
	build_input(&f, i);
	struct vlan_classification c = vlan_port_classify(&ports[p], f.data,
							  f.length);
	if (c.verdict != want->verdict || c.vid != want->vid ||
	    c.pcp != want->pcp || c.dei != want->dei ||
	    c.tags_to_strip != want->strip || c.inner_tags != want->inner)
		fail_msg("%s on %s: %s vid %u pcp %u dei %u strip %u inner %u;"
			 " want %s vid %u pcp %u dei %u strip %u inner %u",
			 inputs[i].name, port_names[p],
			 vlan_verdict_names[c.verdict], c.vid, c.pcp, c.dei,
			 c.tags_to_strip, c.inner_tags,
			 vlan_verdict_names[want->verdict], want->vid,
			 want->pcp, want->dei, want->strip, want->inner);
	if (c.verdict == VLAN_OK)
		assert_int_equal(c.ethertype, 0x0800);
}

static void test_ingress_matrix(void **state)
{
	(void)state;
	for (unsigned i = 0; i < INPUTS; i++)
		for (unsigned p = 0; p < PORTS; p++)
			check_classification(i, p, &matrix[i][p]);
}

/* Classification reads nothing but the frame: the same frame gives the
 * same answer on the same port, and cutting it anywhere inside its tag
 * stack gives `truncated` on every port. */
static void test_every_cut_is_truncated(void **state)
{
	(void)state;
	for (unsigned i = 0; i < INPUTS; i++) {
		if (inputs[i].cut)
			continue;
		struct test_frame f;
		build_input(&f, i);
		struct vlan_stack s;
		vlan_parse(f.data, f.length, &s);
		size_t needed = s.depth == 2 && s.ethertype_offset == 0 ?
					22 :
					(size_t)s.ethertype_offset + 2;
		for (size_t cut = 0; cut < needed; cut++)
			for (unsigned p = 0; p < PORTS; p++) {
				struct vlan_classification c =
					vlan_port_classify(&ports[p], f.data,
							   cut);
				if (c.verdict != VLAN_DROP_truncated)
					fail_msg("%s cut at %zu on %s: %s",
						 inputs[i].name, cut,
						 port_names[p],
						 vlan_verdict_names[c.verdict]);
			}
	}
}

/* Changing a port's allowed set changes exactly the affected cells. */
static void test_matrix_after_changes(void **state)
{
	(void)state;
	struct vlan_port saved_t = ports[T], saved_nu = ports[NU];
	struct expect want;

	vlan_port_disallow(&ports[T], 20, 20);
	vlan_port_allow(&ports[T], 999, 999);
	vlan_port_disallow(&ports[NU], 10, 10);
	for (unsigned i = 0; i < INPUTS; i++) {
		for (unsigned p = 0; p < PORTS; p++) {
			want = matrix[i][p];
			if (i == T20 && p == T)
				want = (struct expect)D(not_allowed);
			if (i == T999 && p == T)
				want = (struct expect)OK(999, 0, 0, 1, 0);
			/* The outer VID is checked before the inner tags. */
			if ((i == T10 || i == CC || i == CS) && p == NU)
				want = (struct expect)D(not_allowed);
			check_classification(i, p, &want);
		}
	}
	/* And the egress side follows: 999 may now leave the trunk, 20
	 * may not. */
	assert_int_equal(vlan_port_egress(&ports[T], 999).verdict, VLAN_OK);
	assert_int_equal(vlan_port_egress(&ports[T], 20).verdict,
			 VLAN_DROP_not_allowed);
	ports[T] = saved_t;
	ports[NU] = saved_nu;
	for (unsigned i = 0; i < INPUTS; i++)
		for (unsigned p = 0; p < PORTS; p++)
			check_classification(i, p, &matrix[i][p]);
}

/* One bridge domain, a different VID on nearly every port. */
static const uint16_t bd_vid[PORTS] = {
	[A] = 10, [T] = 100, [NU] = 20, [NT] = 1, [Q] = 200, [CQ] = 10,
	[X] = 30, [N9] = 10, [QN] = 300,
};

/* Every accepted (input, port) to every output port: the rewrite refuses
 * exactly the inner tags the output may not carry; otherwise the output
 * port accepts what it sent, in the BD's VID there, with the PCP and DEI
 * kept in any pushed tag and the inner tags and payload byte-identical. */
static void test_egress_all_pairs(void **state)
{
	(void)state;
	unsigned accepted = 0, refused = 0, pushed = 0, popped = 0,
		 rewritten = 0;

	for (unsigned i = 0; i < INPUTS; i++) {
		for (unsigned in = 0; in < PORTS; in++) {
			if (matrix[i][in].verdict != VLAN_OK)
				continue;
			for (unsigned out = 0; out < PORTS; out++) {
				struct test_frame f, orig;
				build_input(&f, i);
				build_input(&orig, i);
				struct vlan_classification c =
					vlan_port_classify(&ports[in], f.data,
							   f.length);
				struct vlan_egress e =
					vlan_port_egress(&ports[out],
							 bd_vid[out]);
				assert_int_equal(e.verdict, VLAN_OK);
				int moved;
				enum vlan_verdict v = vlan_rewrite(
					f.data, f.length,
					test_frame_headroom(&f), &c, &e,
					&moved);
				if (c.inner_tags > e.inner_tags_max) {
					assert_int_equal(v, VLAN_DROP_too_deep);
					refused++;
					continue;
				}
				assert_int_equal(v, VLAN_OK);
				accepted++;
				pushed += moved < 0;
				popped += moved > 0;
				rewritten += moved == 0 && e.push;
				assert_int_equal(moved,
						 4 * (c.tags_to_strip - e.push));
				uint8_t *out_data = f.data + moved;
				size_t out_length =
					(size_t)((long)f.length - moved);
				assert_memory_equal(out_data, orig.data, 12);
				size_t in_rest = 12 + 4u * c.tags_to_strip;
				size_t out_rest = 12 + 4u * e.push;
				assert_int_equal(out_length - out_rest,
						 orig.length - in_rest);
				assert_memory_equal(out_data + out_rest,
						    orig.data + in_rest,
						    orig.length - in_rest);

				struct vlan_classification back =
					vlan_port_classify(&ports[out],
							   out_data,
							   out_length);
				if (back.verdict != VLAN_OK ||
				    back.vid != bd_vid[out])
					fail_msg("%s from %s to %s: back %s "
						 "vid %u",
						 inputs[i].name,
						 port_names[in],
						 port_names[out],
						 vlan_verdict_names[back.verdict],
						 back.vid);
				assert_int_equal(back.inner_tags,
						 c.inner_tags);
				if (e.push) {
					assert_int_equal(back.pcp, c.pcp);
					assert_int_equal(back.dei, c.dei);
				}
			}
		}
	}
	/* The table really exercised every kind of rewrite. */
	assert_true(pushed > 0);
	assert_true(popped > 0);
	assert_true(rewritten > 0);
	assert_true(refused > 0);
	assert_true(accepted > 100);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ingress_matrix),
		cmocka_unit_test(test_every_cut_is_truncated),
		cmocka_unit_test(test_matrix_after_changes),
		cmocka_unit_test(test_egress_all_pairs),
	};
	return cmocka_run_group_tests(tests, ports_setup, NULL);
}
