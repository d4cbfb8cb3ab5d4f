/* vlan ports: building and checking a struct vlan_port, the allowed set and
 * its text form, the egress table, and rewriting a classified frame into
 * its egress form (push, pop, translate, QinQ) byte for byte. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "vlan_frames.h"

static const struct test_tag no_tags[] = { { 0 } };

static void test_init_modes(void **state)
{
	(void)state;
	const struct {
		enum vlan_port_mode mode;
		uint16_t vid;
		int rc;
	} cases[] = {
		{ VLAN_PORT_access, 10, 0 },
		{ VLAN_PORT_access, 1, 0 },
		{ VLAN_PORT_access, 4094, 0 },
		{ VLAN_PORT_access, 0, -1 },
		{ VLAN_PORT_access, 4095, -1 },
		{ VLAN_PORT_trunk, 0, 0 },
		{ VLAN_PORT_trunk, 5, -1 },
		{ VLAN_PORT_native_untagged, 1, 0 },
		{ VLAN_PORT_native_untagged, 0, -1 },
		{ VLAN_PORT_native_tagged, 300, 0 },
		{ VLAN_PORT_native_tagged, 4095, -1 },
		{ VLAN_PORT_tunnel, 30, 0 },
		{ VLAN_PORT_tunnel, 0, -1 },
		{ (enum vlan_port_mode)99, 10, -1 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vlan_port port;
		memset(&port, 0x5a, sizeof(port));
		int rc = vlan_port_init(&port, cases[i].mode, cases[i].vid);
		if (rc != cases[i].rc)
			fail_msg("case %zu: rc %d", i, rc);
		const char *why = vlan_port_check(&port);
		if (rc == 0) {
			if (why)
				fail_msg("case %zu: %s", i, why);
			assert_int_equal(port.mode, cases[i].mode);
			assert_int_equal(port.vid, cases[i].vid);
			assert_int_equal(port.tpid, VLAN_TPID_8021Q);
			assert_int_equal(port.inner_tags, 0);
			assert_int_equal(port.pcp, 0);
			bool native = cases[i].mode == VLAN_PORT_native_tagged ||
				      cases[i].mode ==
					      VLAN_PORT_native_untagged;
			assert_int_equal(vlan_port_allowed_count(&port),
					 native ? 1 : 0);
			if (native)
				assert_true(vlan_port_allows(&port,
							     cases[i].vid));
		} else {
			/* A refused init leaves a port that fails the
			 * check and drops everything, never a half-valid
			 * one. */
			if (!why)
				fail_msg("case %zu: refused port passes", i);
			struct test_frame f;
			const struct test_tag tagged[] = {
				{ VLAN_TPID_8021Q, 0, 0, cases[i].vid },
				{ 0 } };
			test_frame_build(&f, no_tags, 0x0800, 46, 0);
			assert_int_not_equal(vlan_port_classify(&port, f.data,
								f.length)
						     .verdict,
					     VLAN_OK);
			test_frame_build(&f, tagged, 0x0800, 46, 0);
			assert_int_not_equal(vlan_port_classify(&port, f.data,
								f.length)
						     .verdict,
					     VLAN_OK);
			for (unsigned vid = 0; vid < VLAN_VID_COUNT; vid++)
				assert_int_not_equal(
					vlan_port_egress(&port,
							 (uint16_t)vid)
						.verdict,
					VLAN_OK);
		}
	}
}

static void test_set_tpid_and_pcp(void **state)
{
	(void)state;
	struct vlan_port port;

	vlan_port_init(&port, VLAN_PORT_trunk, 0);
	assert_int_equal(vlan_port_set_tpid(&port, VLAN_TPID_8021AD, 1), 0);
	assert_int_equal(port.tpid, 0x88a8);
	assert_int_equal(port.inner_tags, 1);
	assert_null(vlan_port_check(&port));
	assert_int_equal(vlan_port_set_tpid(&port, VLAN_TPID_9100, 0), 0);
	assert_int_equal(port.tpid, 0x9100);
	assert_int_equal(port.inner_tags, 0);
	assert_int_equal(vlan_port_set_tpid(&port, 0x0800, 0), -1);
	assert_int_equal(vlan_port_set_tpid(&port, 0x8100, 2), -1);
	assert_int_equal(port.tpid, 0x9100);

	assert_int_equal(vlan_port_set_pcp(&port, 7), 0);
	assert_int_equal(port.pcp, 7);
	assert_int_equal(vlan_port_set_pcp(&port, 8), -1);
	assert_int_equal(port.pcp, 7);
}

static void test_allow_disallow(void **state)
{
	(void)state;
	struct vlan_port port;

	vlan_port_init(&port, VLAN_PORT_trunk, 0);
	assert_int_equal(vlan_port_allow(&port, 10, 20), 0);
	assert_int_equal(vlan_port_allowed_count(&port), 11);
	assert_false(vlan_port_allows(&port, 9));
	assert_true(vlan_port_allows(&port, 10));
	assert_true(vlan_port_allows(&port, 20));
	assert_false(vlan_port_allows(&port, 21));
	assert_int_equal(vlan_port_disallow(&port, 15, 15), 0);
	assert_false(vlan_port_allows(&port, 15));
	assert_int_equal(vlan_port_allowed_count(&port), 10);

	assert_int_equal(vlan_port_allow(&port, 0, 5), -1);
	assert_int_equal(vlan_port_allow(&port, 5, 4095), -1);
	assert_int_equal(vlan_port_allow(&port, 20, 10), -1);
	assert_int_equal(vlan_port_disallow(&port, 0, 0), -1);
	assert_int_equal(vlan_port_allowed_count(&port), 10);

	/* Word boundaries of the bitmap. */
	assert_int_equal(vlan_port_allow(&port, 63, 64), 0);
	assert_true(vlan_port_allows(&port, 63));
	assert_true(vlan_port_allows(&port, 64));
	assert_false(vlan_port_allows(&port, 62));
	assert_false(vlan_port_allows(&port, 65));

	assert_int_equal(vlan_port_allow(&port, 1, 4094), 0);
	assert_int_equal(vlan_port_allowed_count(&port), 4094);
	assert_false(vlan_port_allows(&port, 0));
	assert_false(vlan_port_allows(&port, 4095));
	assert_false(vlan_port_allows(&port, 4096));
	assert_false(vlan_port_allows(&port, 65535));
	assert_null(vlan_port_check(&port));
	assert_int_equal(vlan_port_disallow(&port, 1, 4094), 0);
	assert_int_equal(vlan_port_allowed_count(&port), 0);
}

static void test_allow_list(void **state)
{
	(void)state;
	struct vlan_port port;

	vlan_port_init(&port, VLAN_PORT_trunk, 0);
	assert_int_equal(vlan_port_allow_list(&port, "10,20,100-199"), 0);
	assert_int_equal(vlan_port_allowed_count(&port), 102);
	assert_true(vlan_port_allows(&port, 199));
	assert_false(vlan_port_allows(&port, 200));
	assert_int_equal(vlan_port_allow_list(&port, " 5 - 7 , 4094"), 0);
	assert_int_equal(vlan_port_allowed_count(&port), 106);

	const char *bad[] = { "",     "10,",   "a",     "10-",   "0",
			      "4095", "10-5",  "1-2-3", "10;20", "99999",
			      ",10",  "10,,20", "-5",   "10 20", "5-4095" };
	struct vlan_port before = port;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (vlan_port_allow_list(&port, bad[i]) != -1)
			fail_msg("accepted \"%s\"", bad[i]);
		/* Nothing of a refused list is applied, not even the part
		 * before the error. */
		assert_memory_equal(&before, &port, sizeof(port));
	}
	assert_int_equal(vlan_port_allow_list(&port, "3000,2999-3001"), 0);
	assert_int_equal(vlan_port_allowed_count(&port), 109);
}

static void test_format_allowed(void **state)
{
	(void)state;
	struct vlan_port port;
	char buf[64];

	vlan_port_init(&port, VLAN_PORT_trunk, 0);
	memset(buf, 'x', sizeof(buf));
	assert_int_equal(vlan_port_format_allowed(&port, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");

	vlan_port_allow_list(&port, "1-3,5,4094");
	assert_int_equal(vlan_port_format_allowed(&port, buf, sizeof(buf)), 10);
	assert_string_equal(buf, "1-3,5,4094");

	/* Truncation as snprintf: the full length, a terminated prefix. */
	assert_int_equal(vlan_port_format_allowed(&port, buf, 5), 10);
	assert_string_equal(buf, "1-3,");
	assert_int_equal(vlan_port_format_allowed(&port, buf, 1), 10);
	assert_string_equal(buf, "");
	assert_int_equal(vlan_port_format_allowed(&port, NULL, 0), 10);

	vlan_port_allow(&port, 1, 4094);
	assert_int_equal(vlan_port_format_allowed(&port, buf, sizeof(buf)), 6);
	assert_string_equal(buf, "1-4094");
}

/* Formatting then parsing gives the same set, for pseudo-random sets. */
static void test_format_parse_round_trip(void **state)
{
	(void)state;
	uint32_t seed = 12345;
	static char text[32768];

	for (unsigned round = 0; round < 50; round++) {
		struct vlan_port port, again;
		vlan_port_init(&port, VLAN_PORT_trunk, 0);
		vlan_port_init(&again, VLAN_PORT_trunk, 0);
		unsigned density = round % 5 + 1;
		for (unsigned vid = 1; vid <= 4094; vid++) {
			seed = seed * 1103515245u + 12345u;
			if ((seed >> 16) % 8 < density)
				vlan_port_allow(&port, (uint16_t)vid,
						(uint16_t)vid);
		}
		size_t n = vlan_port_format_allowed(&port, text, sizeof(text));
		assert_true(n < sizeof(text));
		assert_int_equal(strlen(text), n);
		assert_int_equal(vlan_port_allow_list(&again, text), 0);
		assert_memory_equal(port.allowed, again.allowed,
				    sizeof(port.allowed));
	}
}

static void test_check_refuses(void **state)
{
	(void)state;
	struct vlan_port good, bad;

	vlan_port_init(&good, VLAN_PORT_native_untagged, 1);
	vlan_port_allow(&good, 10, 20);
	assert_null(vlan_port_check(&good));

	bad = good;
	bad.mode = VLAN_PORT_MODE_MAX;
	assert_non_null(vlan_port_check(&bad));
	bad = good;
	bad.tpid = 0x0800;
	assert_non_null(vlan_port_check(&bad));
	bad = good;
	bad.pcp = 8;
	assert_non_null(vlan_port_check(&bad));
	bad = good;
	bad.inner_tags = 2;
	assert_non_null(vlan_port_check(&bad));
	bad = good;
	bad.allowed[0] |= 1; /* VID 0 */
	assert_non_null(vlan_port_check(&bad));
	bad = good;
	bad.allowed[63] |= 1ull << 63; /* VID 4095 */
	assert_non_null(vlan_port_check(&bad));
	bad = good;
	vlan_port_disallow(&bad, 1, 1); /* native not allowed */
	assert_non_null(vlan_port_check(&bad));
	bad = good;
	bad.vid = 0;
	assert_non_null(vlan_port_check(&bad));

	vlan_port_init(&good, VLAN_PORT_trunk, 0);
	assert_null(vlan_port_check(&good));
	bad = good;
	bad.vid = 5;
	assert_non_null(vlan_port_check(&bad));

	vlan_port_init(&good, VLAN_PORT_access, 10);
	assert_null(vlan_port_check(&good));
	bad = good;
	vlan_port_allow(&bad, 20, 20);
	assert_non_null(vlan_port_check(&bad));
	bad = good;
	bad.inner_tags = 1;
	assert_non_null(vlan_port_check(&bad));
	bad = good;
	bad.vid = 4095;
	assert_non_null(vlan_port_check(&bad));

	vlan_port_init(&good, VLAN_PORT_tunnel, 30);
	assert_null(vlan_port_check(&good));
	bad = good;
	vlan_port_allow(&bad, 30, 30);
	assert_non_null(vlan_port_check(&bad));
}

static void test_mode_names(void **state)
{
	(void)state;
	for (unsigned i = 0; i < VLAN_PORT_MODE_MAX; i++) {
		enum vlan_port_mode mode = VLAN_PORT_MODE_MAX;
		assert_non_null(vlan_port_mode_descriptions[i]);
		assert_int_equal(vlan_port_mode_parse(vlan_port_mode_names[i],
						      &mode), 0);
		assert_int_equal(mode, i);
	}
	enum vlan_port_mode mode = VLAN_PORT_trunk;
	assert_int_equal(vlan_port_mode_parse("native-untagged", &mode), 0);
	assert_int_equal(mode, VLAN_PORT_native_untagged);
	assert_int_equal(vlan_port_mode_parse("native_untagged", &mode), -1);
	assert_int_equal(vlan_port_mode_parse("", &mode), -1);
	assert_int_equal(vlan_port_mode_parse("Access", &mode), -1);
	assert_int_equal(mode, VLAN_PORT_native_untagged);
}

/* ---- egress and rewrite ---------------------------------------------- */

enum { A, X, T, NU, NT, Q, PORTS };

static struct vlan_port ports[PORTS];

static int ports_setup(void **state)
{
	(void)state;
	/* A: access 10, default PCP 2. X: tunnel 30. T: trunk 10,20,2001.
	 * NU/NT: native 1, allowed 1,10. Q: QinQ trunk 0x88a8, 100. */
	vlan_port_init(&ports[A], VLAN_PORT_access, 10);
	vlan_port_set_pcp(&ports[A], 2);
	vlan_port_init(&ports[X], VLAN_PORT_tunnel, 30);
	vlan_port_init(&ports[T], VLAN_PORT_trunk, 0);
	vlan_port_allow_list(&ports[T], "10,20,2001");
	vlan_port_init(&ports[NU], VLAN_PORT_native_untagged, 1);
	vlan_port_allow(&ports[NU], 10, 10);
	vlan_port_init(&ports[NT], VLAN_PORT_native_tagged, 1);
	vlan_port_allow(&ports[NT], 10, 10);
	vlan_port_init(&ports[Q], VLAN_PORT_trunk, 0);
	vlan_port_set_tpid(&ports[Q], VLAN_TPID_8021AD, 1);
	vlan_port_allow(&ports[Q], 100, 100);
	for (unsigned i = 0; i < PORTS; i++)
		if (vlan_port_check(&ports[i]))
			return -1;
	return 0;
}

static void test_egress_table(void **state)
{
	(void)state;
	enum { NA = VLAN_DROP_not_allowed };
	const uint16_t vids[] = { 0, 1, 10, 20, 30, 100, 4095 };
	/* Per port, per VID: verdict, push, inner tags allowed. */
	const struct {
		uint8_t verdict, push, inner;
	} want[PORTS][7] = {
		/*	  VID 0	      1		  10	      20
		 *	  30	      100	  4095 */
		[A] = { { NA, 0, 0 }, { NA, 0, 0 }, { 0, 0, 0 }, { NA, 0, 0 },
			{ NA, 0, 0 }, { NA, 0, 0 }, { NA, 0, 0 } },
		[X] = { { NA, 0, 1 }, { NA, 0, 1 }, { NA, 0, 1 }, { NA, 0, 1 },
			{ 0, 0, 1 }, { NA, 0, 1 }, { NA, 0, 1 } },
		[T] = { { NA, 1, 0 }, { NA, 1, 0 }, { 0, 1, 0 }, { 0, 1, 0 },
			{ NA, 1, 0 }, { NA, 1, 0 }, { NA, 1, 0 } },
		[NU] = { { NA, 1, 0 }, { 0, 0, 0 }, { 0, 1, 0 }, { NA, 1, 0 },
			 { NA, 1, 0 }, { NA, 1, 0 }, { NA, 1, 0 } },
		[NT] = { { NA, 1, 0 }, { 0, 1, 0 }, { 0, 1, 0 }, { NA, 1, 0 },
			 { NA, 1, 0 }, { NA, 1, 0 }, { NA, 1, 0 } },
		[Q] = { { NA, 1, 1 }, { NA, 1, 1 }, { NA, 1, 1 }, { NA, 1, 1 },
			{ NA, 1, 1 }, { 0, 1, 1 }, { NA, 1, 1 } },
	};
	for (unsigned p = 0; p < PORTS; p++) {
		for (unsigned v = 0; v < 7; v++) {
			struct vlan_egress e = vlan_port_egress(&ports[p],
								vids[v]);
			if (e.verdict != want[p][v].verdict ||
			    e.push != want[p][v].push ||
			    e.inner_tags_max != want[p][v].inner)
				fail_msg("port %s vid %u: %s push %u inner %u",
					 vlan_port_mode_names[ports[p].mode],
					 vids[v], vlan_verdict_names[e.verdict],
					 e.push, e.inner_tags_max);
			assert_int_equal(e.vid, vids[v]);
			assert_int_equal(e.tpid, ports[p].tpid);
		}
	}
}

/* Classifies a frame with in_tags on port `in`, rewrites it for (out, vid)
 * and checks the verdict, how far the start moved and every byte against
 * a frame built with want_tags; then the same through
 * vlan_egress_header(). */
static void check_rewrite(const struct test_tag *in_tags, unsigned in,
			  unsigned out, uint16_t vid, size_t headroom,
			  enum vlan_verdict want_verdict,
			  const struct test_tag *want_tags, int want_moved)
{
	struct test_frame f, want, orig;
	test_frame_build(&f, in_tags, 0x0800, 46, 0);
	test_frame_build(&orig, in_tags, 0x0800, 46, 0);

	struct vlan_classification c = vlan_port_classify(&ports[in], f.data,
							  f.length);
	assert_int_equal(c.verdict, VLAN_OK);
	struct vlan_egress e = vlan_port_egress(&ports[out], vid);
	int moved = 99;
	enum vlan_verdict v = vlan_rewrite(f.data, f.length, headroom, &c, &e,
					   &moved);
	if (v != want_verdict)
		fail_msg("%s -> %s vid %u: %s, want %s",
			 vlan_port_mode_names[ports[in].mode],
			 vlan_port_mode_names[ports[out].mode], vid,
			 vlan_verdict_names[v], vlan_verdict_names[want_verdict]);
	if (v != VLAN_OK) {
		assert_int_equal(moved, 0);
		/* A refused rewrite leaves the frame and headroom alone. */
		assert_memory_equal(f.buffer, orig.buffer, sizeof(f.buffer));
		return;
	}
	assert_int_equal(moved, want_moved);
	test_frame_build(&want, want_tags, 0x0800, 46, 0);
	assert_int_equal((long)f.length - moved, (long)want.length);
	assert_memory_equal(f.data + moved, want.data, want.length);

	/* The header form gives the same bytes without touching the frame. */
	struct test_frame g;
	test_frame_build(&g, in_tags, 0x0800, 46, 0);
	uint8_t header[16], joined[TEST_FRAME_MAX];
	size_t header_length, rest;
	assert_int_equal(vlan_egress_header(header, g.data, g.length, &c, &e,
					    &header_length, &rest),
			 VLAN_OK);
	memcpy(joined, header, header_length);
	memcpy(joined + header_length, g.data + rest, g.length - rest);
	assert_int_equal(header_length + g.length - rest, want.length);
	assert_memory_equal(joined, want.data, want.length);
	assert_memory_equal(g.buffer, orig.buffer, sizeof(g.buffer));
}

static void test_rewrite_push_access_to_trunk(void **state)
{
	(void)state;
	/* Untagged on access 10 (port PCP 2) out of the trunk as VID 10. */
	const struct test_tag want[] = { { 0x8100, 2, 0, 10 }, { 0 } };
	check_rewrite(no_tags, A, T, 10, TEST_HEADROOM, VLAN_OK, want, -4);
	/* Native-tagged: the native VID leaves tagged. */
	const struct test_tag want_native[] = { { 0x8100, 2, 0, 1 }, { 0 } };
	check_rewrite(no_tags, A, NT, 1, 4, VLAN_OK, want_native, -4);
}

static void test_rewrite_push_needs_headroom(void **state)
{
	(void)state;
	check_rewrite(no_tags, A, T, 10, 3, VLAN_DROP_push_failed, NULL, 0);
	check_rewrite(no_tags, A, T, 10, 0, VLAN_DROP_push_failed, NULL, 0);
}

static void test_rewrite_pop_trunk_to_access(void **state)
{
	(void)state;
	const struct test_tag in[] = { { 0x8100, 5, 1, 10 }, { 0 } };
	check_rewrite(in, T, A, 10, 0, VLAN_OK, no_tags, 4);
	/* Native-untagged: the native VID leaves untagged. */
	const struct test_tag native[] = { { 0x8100, 5, 1, 1 }, { 0 } };
	check_rewrite(native, NT, NU, 1, 0, VLAN_OK, no_tags, 4);
}

static void test_rewrite_translate_keeps_pcp(void **state)
{
	(void)state;
	/* One BD: VID 10 on NU, VID 2001 on T. */
	for (uint8_t pcp = 0; pcp < 8; pcp++) {
		const struct test_tag in[] = { { 0x8100, pcp, pcp & 1, 10 },
					       { 0 } };
		const struct test_tag want[] = {
			{ 0x8100, pcp, pcp & 1, 2001 }, { 0 } };
		check_rewrite(in, NU, T, 2001, 0, VLAN_OK, want, 0);
	}
	/* Across TPIDs: 802.1Q VID 20 to the QinQ trunk's S-VID 100. */
	const struct test_tag in[] = { { 0x8100, 3, 0, 20 }, { 0 } };
	const struct test_tag want[] = { { 0x88a8, 3, 0, 100 }, { 0 } };
	check_rewrite(in, T, Q, 100, 0, VLAN_OK, want, 0);
	/* A priority tag becomes the output's tag, keeping its PCP. */
	const struct test_tag prio[] = { { 0x8100, 6, 0, 0 }, { 0 } };
	const struct test_tag prio_out[] = { { 0x8100, 6, 0, 10 }, { 0 } };
	check_rewrite(prio, A, T, 10, 0, VLAN_OK, prio_out, 0);
	check_rewrite(prio, A, A, 10, 0, VLAN_OK, no_tags, 4);
}

static void test_rewrite_qinq(void **state)
{
	(void)state;
	/* S-VID 100 + the SP's C-tag, out of the tunnel port: the S-tag
	 * goes, the C-tag stays untouched. */
	const struct test_tag sc[] = { { 0x88a8, 4, 0, 100 },
				       { 0x8100, 2, 1, 42 }, { 0 } };
	const struct test_tag c[] = { { 0x8100, 2, 1, 42 }, { 0 } };
	check_rewrite(sc, Q, X, 30, 0, VLAN_OK, c, 4);
	/* The C-tagged frame entering the tunnel port gets the S-tag,
	 * whose PCP and DEI are copied from the C-tag. */
	const struct test_tag s_over_c[] = { { 0x88a8, 2, 1, 100 },
					     { 0x8100, 2, 1, 42 }, { 0 } };
	check_rewrite(c, X, Q, 100, 4, VLAN_OK, s_over_c, -4);
	/* Untagged on the tunnel port: S-tag only, port PCP. */
	const struct test_tag s_only[] = { { 0x88a8, 0, 0, 100 }, { 0 } };
	check_rewrite(no_tags, X, Q, 100, 4, VLAN_OK, s_only, -4);
	/* QinQ trunk to QinQ trunk: S-tag rewritten, C-tag untouched. */
	check_rewrite(sc, Q, Q, 100, 0, VLAN_OK, sc, 0);
}

static void test_rewrite_refuses_inner_tags(void **state)
{
	(void)state;
	/* A C-tag never leaves untagged where it would read as the port's
	 * own tag, nor inside a tag on a port that is not QinQ. */
	const struct test_tag c[] = { { 0x8100, 2, 0, 42 }, { 0 } };
	check_rewrite(c, X, A, 10, 4, VLAN_DROP_too_deep, NULL, 0);
	check_rewrite(c, X, NU, 1, 4, VLAN_DROP_too_deep, NULL, 0);
	check_rewrite(c, X, NU, 10, 4, VLAN_DROP_too_deep, NULL, 0);
	check_rewrite(c, X, T, 10, 4, VLAN_DROP_too_deep, NULL, 0);
	const struct test_tag sc[] = { { 0x88a8, 4, 0, 100 },
				       { 0x8100, 2, 0, 42 }, { 0 } };
	check_rewrite(sc, Q, A, 10, 4, VLAN_DROP_too_deep, NULL, 0);
	check_rewrite(sc, Q, T, 20, 4, VLAN_DROP_too_deep, NULL, 0);
}

static void test_rewrite_refuses_not_allowed(void **state)
{
	(void)state;
	const struct test_tag in[] = { { 0x8100, 5, 0, 10 }, { 0 } };
	check_rewrite(in, T, A, 11, 4, VLAN_DROP_not_allowed, NULL, 0);
	check_rewrite(in, T, T, 30, 4, VLAN_DROP_not_allowed, NULL, 0);
	check_rewrite(in, T, X, 10, 4, VLAN_DROP_not_allowed, NULL, 0);
}

static void test_rewrite_checks_its_inputs(void **state)
{
	(void)state;
	struct test_frame f;
	test_frame_build(&f, no_tags, 0x0800, 46, 0);
	struct vlan_egress e = vlan_port_egress(&ports[T], 10);
	struct vlan_classification dropped =
		vlan_classification_drop(VLAN_DROP_tpid_mismatch);
	int moved = 7;
	assert_int_equal(vlan_rewrite(f.data, f.length, 64, &dropped, &e,
				      &moved),
			 VLAN_DROP_tpid_mismatch);
	assert_int_equal(moved, 0);
	uint8_t header[16];
	size_t header_length = 1, rest = 1;
	assert_int_equal(vlan_egress_header(header, f.data, f.length,
					    &dropped, &e, &header_length,
					    &rest),
			 VLAN_DROP_tpid_mismatch);
	assert_int_equal(header_length, 0);
	assert_int_equal(rest, 0);

	/* A classification claiming a tag the frame is too short for. */
	struct vlan_classification c = { .verdict = VLAN_OK, .vid = 10,
					 .tags_to_strip = 1 };
	assert_int_equal(vlan_rewrite(f.data, 15, 64, &c, &e, &moved),
			 VLAN_DROP_truncated);
	assert_int_equal(vlan_egress_header(header, f.data, 15, &c, &e,
					    &header_length, &rest),
			 VLAN_DROP_truncated);
	assert_int_equal(vlan_rewrite(f.data, 16, 64, &c, &e, &moved),
			 VLAN_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_modes),
		cmocka_unit_test(test_set_tpid_and_pcp),
		cmocka_unit_test(test_allow_disallow),
		cmocka_unit_test(test_allow_list),
		cmocka_unit_test(test_format_allowed),
		cmocka_unit_test(test_format_parse_round_trip),
		cmocka_unit_test(test_check_refuses),
		cmocka_unit_test(test_mode_names),
		cmocka_unit_test(test_egress_table),
		cmocka_unit_test(test_rewrite_push_access_to_trunk),
		cmocka_unit_test(test_rewrite_push_needs_headroom),
		cmocka_unit_test(test_rewrite_pop_trunk_to_access),
		cmocka_unit_test(test_rewrite_translate_keeps_pcp),
		cmocka_unit_test(test_rewrite_qinq),
		cmocka_unit_test(test_rewrite_refuses_inner_tags),
		cmocka_unit_test(test_rewrite_refuses_not_allowed),
		cmocka_unit_test(test_rewrite_checks_its_inputs),
	};
	return cmocka_run_group_tests(tests, ports_setup, NULL);
}
