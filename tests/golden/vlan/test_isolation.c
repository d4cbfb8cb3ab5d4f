/* The VLAN isolation matrix: a table of every kind of input on every port
 * of a configuration with several VLANs, and what comes out.
 *
 * Ports (vlan/vlan.h's modes):
 *   acc10   access VID 10            acc20   access VID 20, PCP 3
 *   trunk   trunk 10,20,40,100       trunk2  trunk 10,2001
 *   nu      native-untagged 10, allowed 10,20
 *   nt      native-tagged 20, allowed 10,20, PCP 6
 *   qinq    trunk of S-tags (0x88a8) allowed 100,300, one C-tag inside
 *   tun     tunnel (dot1q-tunnel) S-VID 300, PCP 1
 * Bridge domains (members are (port, VID on that port)):
 *   v10   acc10.10 trunk.10 nu.10 (native: untagged) nt.10 trunk2.10
 *   v20   acc20.20 trunk.20 nu.20 nt.20 (native: tagged)
 *   xlat  trunk.100 trunk2.2001 qinq.100: VID translation 100 <-> 2001,
 *         and 0x8100 <-> 0x88a8
 *   svc   qinq.300 tun.300: QinQ, the customer's C-tags kept inside
 *   bg    three other ports with an endless source in VID 10 (the same
 *         VID number as v10, another BD): background traffic
 * Static MACs (known unicast): H10 on trunk2.10, H20 on acc20, HX on
 * trunk2.2001, HT on tun.300, HQ on qinq.300.
 *
 * Each row states an input (port, tag stack as sent, truncation, broadcast
 * or a static MAC as destination) and either the exact frame that leaves
 * every port (tag stacks written out; ports not listed send nothing: that
 * is the isolation) or the drop reasons that count it (a flood whose
 * members all refuse the frame counts each refusal, then
 * flood_no_members). Every frame has its own source MAC and payload, so
 * outputs are compared as sets, byte for byte; PCP and DEI are in the
 * bytes. The drop counters must grow by exactly the table's reasons and
 * `trace` must agree with each row.
 *
 * Rounds, in one switch, while the background source never stops:
 *   1. the configuration above, applied with `apply`;
 *   2. changes under traffic: 20 times a member joins and leaves bg, a
 *      temporary BD on trunk VID 40 is added and removed, trunk2.10
 *      leaves v10 and comes back, svc is removed and added back; `trace`
 *      and the counters follow every step;
 *   3. a second configuration (VLANs 20 and 2001 withdrawn from ports, a
 *      new v40, acc20 moved to VID 40, svc gone, translation 100 <-> 2002)
 *      with its own table;
 *   4. the first configuration again, the whole first table again.
 * Each round gets fresh input and output pcaps by replacing the matrix
 * ports' devargs in the applied configuration.
 */
#include "vlan_golden.h"

#include <sys/stat.h>
#include <unistd.h>

enum port_index { NO_PORT, ACC10, ACC20, TRUNK, NU, NT, QINQ, TUN, TRUNK2, N_PORTS };

static const char *const port_names[N_PORTS] = {
	NULL, "acc10", "acc20", "trunk", "nu", "nt", "qinq", "tun", "trunk2",
};

/* Hosts behind static MACs. */
enum { H10 = 0xa010, H20 = 0xa020, HX = 0xa100, HT = 0xa300, HQ = 0xa301 };

struct port_def {
	const char *mode;
	uint16_t vid;
	const char *allowed;
	const char *tpid;
	int inner_tags;
	int pcp;
};

struct bd_def {
	const char *name;
	struct {
		int port;
		uint16_t vid;
	} members[6];
	struct {
		uint16_t host;
		int port;
		uint16_t vid;
	} static_macs[3];
};

struct output {
	int port;
	struct golden_tag tags[GOLDEN_TAGS_MAX];
};

struct row {
	int port;
	struct golden_tag tags[GOLDEN_TAGS_MAX];
	uint16_t cut;        /* frame cut to this many bytes (0: whole) */
	uint16_t dst;        /* 0: broadcast; else a static MAC's host */
	const char *drops[3]; /* reasons counted; the last is trace's */
	struct output outputs[5];
};

#define OUT(port, ...) { port, { __VA_ARGS__ } }
#define OUT_U(port) { port, UNTAGGED }
#define TO(...) .outputs = { __VA_ARGS__ }
#define DROP(...) .drops = { __VA_ARGS__ }
#define THREE C(5, 10), C(7, 55), C(1, 66)

/* ---- Round 1 and 4 ------------------------------------------------------ */

static const struct port_def ports_1[N_PORTS] = {
	[ACC10] = { "access", 10, NULL, NULL, 0, 0 },
	[ACC20] = { "access", 20, NULL, NULL, 0, 3 },
	[TRUNK] = { "trunk", 0, "10,20,40,100", NULL, 0, 0 },
	[NU] = { "native-untagged", 10, "10,20", NULL, 0, 0 },
	[NT] = { "native-tagged", 20, "10,20", NULL, 0, 6 },
	[QINQ] = { "trunk", 0, "100,300", "0x88a8", 1, 0 },
	[TUN] = { "tunnel", 300, NULL, NULL, 0, 1 },
	[TRUNK2] = { "trunk", 0, "10,2001", NULL, 0, 0 },
};

static const struct bd_def bds_1[] = {
	{ "v10", { { ACC10, 10 }, { TRUNK, 10 }, { NU, 10 }, { NT, 10 }, { TRUNK2, 10 } },
	  { { H10, TRUNK2, 10 } } },
	{ "v20", { { ACC20, 20 }, { TRUNK, 20 }, { NU, 20 }, { NT, 20 } },
	  { { H20, ACC20, 20 } } },
	{ "xlat", { { TRUNK, 100 }, { TRUNK2, 2001 }, { QINQ, 100 } },
	  { { HX, TRUNK2, 2001 } } },
	{ "svc", { { QINQ, 300 }, { TUN, 300 } },
	  { { HT, TUN, 300 }, { HQ, QINQ, 300 } } },
};

/* Floods of v10 and v20 from an untagged or priority-tagged source. */
#define V10_FROM_ACC10(p) \
	TO(OUT(TRUNK, C(p, 10)), OUT_U(NU), OUT(NT, C(p, 10)), OUT(TRUNK2, C(p, 10)))

static const struct row rows_1[] = {
	/* acc10: access VID 10. Untagged and priority-tagged frames are
	 * VID 10 (the priority tag is stripped, its PCP kept); any other
	 * tag is refused. */
	{ ACC10, UNTAGGED, V10_FROM_ACC10(0) },
	{ ACC10, TAGS(C(4, 0)), V10_FROM_ACC10(4) },
	{ ACC10, TAGS(CD(4, 0)), TO(OUT(TRUNK, CD(4, 10)), OUT_U(NU),
				    OUT(NT, CD(4, 10)), OUT(TRUNK2, CD(4, 10))) },
	{ ACC10, TAGS(C(5, 10)), DROP("vlan_tagged_on_access") },
	{ ACC10, TAGS(C(5, 20)), DROP("vlan_tagged_on_access") },
	{ ACC10, TAGS(C(5, 30)), DROP("vlan_tagged_on_access") },
	{ ACC10, TAGS(S(2, 10), C(7, 55)), DROP("vlan_tagged_on_access") },
	{ ACC10, TAGS(C(5, 10), C(7, 55)), DROP("vlan_tagged_on_access") },
	{ ACC10, TAGS(C(4, 0), C(7, 55)), DROP("vlan_tagged_on_access") },
	{ ACC10, TAGS(THREE), DROP("vlan_too_deep") },
	{ ACC10, TAGS(C(5, 10)), .cut = 16, DROP("vlan_truncated") },
	{ ACC10, TAGS(X(5, 10)), DROP("vlan_tagged_on_access") },
	{ ACC10, TAGS(S(5, 10)), DROP("vlan_tagged_on_access") },
	{ ACC10, UNTAGGED, .dst = H10, TO(OUT(TRUNK2, C(0, 10))) },
	/* H20 and HX are known in other BDs only: unknown here, flooded in
	 * v10 and nowhere else. */
	{ ACC10, UNTAGGED, .dst = H20, V10_FROM_ACC10(0) },
	{ ACC10, UNTAGGED, .dst = HX, V10_FROM_ACC10(0) },

	/* acc20: access VID 20 whose untagged frames get PCP 3. */
	{ ACC20, UNTAGGED, TO(OUT(TRUNK, C(3, 20)), OUT(NU, C(3, 20)), OUT(NT, C(3, 20))) },
	{ ACC20, TAGS(C(4, 0)), TO(OUT(TRUNK, C(4, 20)), OUT(NU, C(4, 20)), OUT(NT, C(4, 20))) },
	{ ACC20, TAGS(C(5, 20)), DROP("vlan_tagged_on_access") },
	{ ACC20, TAGS(S(2, 20), C(7, 55)), DROP("vlan_tagged_on_access") },
	{ ACC20, TAGS(C(5, 20)), .cut = 17, DROP("vlan_truncated") },
	{ ACC20, UNTAGGED, .dst = H10, TO(OUT(TRUNK, C(3, 20)), OUT(NU, C(3, 20)),
					 OUT(NT, C(3, 20))) },

	/* trunk: 10, 20, 40 (no BD) and 100 (translated to 2001). */
	{ TRUNK, UNTAGGED, DROP("vlan_untagged_not_allowed") },
	{ TRUNK, TAGS(C(4, 0)), DROP("vlan_untagged_not_allowed") },
	{ TRUNK, TAGS(C(5, 10)), TO(OUT_U(ACC10), OUT_U(NU), OUT(NT, C(5, 10)),
				    OUT(TRUNK2, C(5, 10))) },
	{ TRUNK, TAGS(CD(5, 20)), TO(OUT_U(ACC20), OUT(NU, CD(5, 20)), OUT(NT, CD(5, 20))) },
	{ TRUNK, TAGS(C(6, 40)), DROP("no_bd") },
	{ TRUNK, TAGS(C(1, 100)), TO(OUT(TRUNK2, C(1, 2001)), OUT(QINQ, S(1, 100))) },
	{ TRUNK, TAGS(C(5, 30)), DROP("vlan_not_allowed") },
	{ TRUNK, TAGS(C(5, 4095)), DROP("vlan_not_allowed") },
	{ TRUNK, TAGS(C(5, 2001)), DROP("vlan_not_allowed") },
	{ TRUNK, TAGS(S(2, 10), C(7, 55)), DROP("vlan_tpid_mismatch") },
	{ TRUNK, TAGS(C(5, 10), C(7, 55)), DROP("vlan_too_deep") },
	{ TRUNK, TAGS(THREE), DROP("vlan_too_deep") },
	{ TRUNK, TAGS(C(5, 10)), .cut = 16, DROP("vlan_truncated") },
	{ TRUNK, TAGS(C(5, 10), C(7, 55)), .cut = 20, DROP("vlan_truncated") },
	{ TRUNK, TAGS(X(5, 10)), DROP("vlan_tpid_mismatch") },
	{ TRUNK, TAGS(S(5, 10)), DROP("vlan_tpid_mismatch") },
	{ TRUNK, TAGS(S(5, 100)), DROP("vlan_tpid_mismatch") },
	{ TRUNK, TAGS(C(1, 100)), .dst = HX, TO(OUT(TRUNK2, C(1, 2001))) },
	{ TRUNK, TAGS(C(5, 10)), .dst = H10, TO(OUT(TRUNK2, C(5, 10))) },

	/* nu: native-untagged 10: untagged is 10 and 10 leaves untagged. */
	{ NU, UNTAGGED, TO(OUT_U(ACC10), OUT(TRUNK, C(0, 10)), OUT(NT, C(0, 10)),
			   OUT(TRUNK2, C(0, 10))) },
	{ NU, TAGS(C(4, 0)), TO(OUT_U(ACC10), OUT(TRUNK, C(4, 10)), OUT(NT, C(4, 10)),
				OUT(TRUNK2, C(4, 10))) },
	{ NU, TAGS(C(5, 10)), TO(OUT_U(ACC10), OUT(TRUNK, C(5, 10)), OUT(NT, C(5, 10)),
				 OUT(TRUNK2, C(5, 10))) },
	{ NU, TAGS(C(5, 20)), TO(OUT_U(ACC20), OUT(TRUNK, C(5, 20)), OUT(NT, C(5, 20))) },
	{ NU, TAGS(C(5, 100)), DROP("vlan_not_allowed") },
	{ NU, TAGS(C(5, 30)), DROP("vlan_not_allowed") },
	{ NU, TAGS(S(2, 10), C(7, 55)), DROP("vlan_tpid_mismatch") },
	{ NU, TAGS(C(5, 20), C(7, 55)), DROP("vlan_too_deep") },
	{ NU, TAGS(THREE), DROP("vlan_too_deep") },
	{ NU, TAGS(X(5, 10)), DROP("vlan_tpid_mismatch") },
	{ NU, TAGS(C(5, 10)), .cut = 15, DROP("vlan_truncated") },
	{ NU, TAGS(C(5, 20)), .dst = H20, TO(OUT_U(ACC20)) },

	/* nt: native-tagged 20: untagged is 20, which leaves tagged. */
	{ NT, UNTAGGED, TO(OUT_U(ACC20), OUT(TRUNK, C(6, 20)), OUT(NU, C(6, 20))) },
	{ NT, TAGS(C(4, 0)), TO(OUT_U(ACC20), OUT(TRUNK, C(4, 20)), OUT(NU, C(4, 20))) },
	{ NT, TAGS(C(5, 10)), TO(OUT_U(ACC10), OUT(TRUNK, C(5, 10)), OUT_U(NU),
				 OUT(TRUNK2, C(5, 10))) },
	{ NT, TAGS(C(5, 20)), TO(OUT_U(ACC20), OUT(TRUNK, C(5, 20)), OUT(NU, C(5, 20))) },
	{ NT, TAGS(C(5, 30)), DROP("vlan_not_allowed") },
	{ NT, TAGS(C(5, 100)), DROP("vlan_not_allowed") },
	{ NT, TAGS(S(2, 20), C(7, 55)), DROP("vlan_tpid_mismatch") },
	{ NT, TAGS(C(5, 10), C(7, 55)), DROP("vlan_too_deep") },
	{ NT, TAGS(THREE), DROP("vlan_too_deep") },
	{ NT, TAGS(X(5, 20)), DROP("vlan_tpid_mismatch") },
	{ NT, TAGS(C(5, 20)), .cut = 16, DROP("vlan_truncated") },
	{ NT, UNTAGGED, .dst = H20, TO(OUT_U(ACC20)) },

	/* qinq: S-tags 100 (xlat) and 300 (svc), one C-tag inside. */
	{ QINQ, UNTAGGED, DROP("vlan_untagged_not_allowed") },
	{ QINQ, TAGS(S(4, 0)), DROP("vlan_untagged_not_allowed") },
	{ QINQ, TAGS(C(4, 0)), DROP("vlan_tpid_mismatch") },
	{ QINQ, TAGS(S(5, 100)), TO(OUT(TRUNK, C(5, 100)), OUT(TRUNK2, C(5, 2001))) },
	{ QINQ, TAGS(S(5, 300)), TO(OUT_U(TUN)) },
	{ QINQ, TAGS(S(2, 300), C(7, 55)), TO(OUT(TUN, C(7, 55))) },
	{ QINQ, TAGS(S(2, 300), C(7, 0)), TO(OUT(TUN, C(7, 0))) },
	/* A C-tag inside may not leave through a plain trunk: each of
	 * xlat's other members refuses it, then nobody is left. */
	{ QINQ, TAGS(S(2, 100), C(7, 55)),
	  DROP("vlan_too_deep", "vlan_too_deep", "flood_no_members") },
	{ QINQ, TAGS(S(5, 30)), DROP("vlan_not_allowed") },
	{ QINQ, TAGS(S(5, 4095)), DROP("vlan_not_allowed") },
	{ QINQ, TAGS(C(5, 100)), DROP("vlan_tpid_mismatch") },
	{ QINQ, TAGS(C(5, 100), C(7, 55)), DROP("vlan_tpid_mismatch") },
	{ QINQ, TAGS(S(2, 300), S(7, 55)), DROP("vlan_tpid_mismatch") },
	{ QINQ, TAGS(S(2, 300), X(7, 55)), DROP("vlan_tpid_mismatch") },
	{ QINQ, TAGS(S(2, 300), C(7, 55), C(1, 66)), DROP("vlan_too_deep") },
	{ QINQ, TAGS(S(5, 300)), .cut = 16, DROP("vlan_truncated") },
	{ QINQ, TAGS(S(2, 300), C(7, 55)), .cut = 21, DROP("vlan_truncated") },
	{ QINQ, TAGS(X(5, 300)), DROP("vlan_tpid_mismatch") },
	{ QINQ, TAGS(S(2, 300), C(7, 55)), .dst = HT, TO(OUT(TUN, C(7, 55))) },
	{ QINQ, TAGS(S(2, 100), C(7, 55)), .dst = HX, DROP("vlan_too_deep") },
	{ QINQ, TAGS(S(5, 100)), .dst = HX, TO(OUT(TRUNK2, C(5, 2001))) },

	/* tun: every customer frame, untagged or with one C-tag (any VID),
	 * goes into S-VID 300 as is. */
	{ TUN, UNTAGGED, TO(OUT(QINQ, S(1, 300))) },
	{ TUN, TAGS(C(7, 55)), TO(OUT(QINQ, S(7, 300), C(7, 55))) },
	{ TUN, TAGS(C(3, 0)), TO(OUT(QINQ, S(3, 300), C(3, 0))) },
	{ TUN, TAGS(CD(5, 4095)), TO(OUT(QINQ, SD(5, 300), CD(5, 4095))) },
	{ TUN, TAGS(S(2, 10)), DROP("vlan_tpid_mismatch") },
	{ TUN, TAGS(X(2, 10)), DROP("vlan_tpid_mismatch") },
	{ TUN, TAGS(C(7, 55), C(1, 66)), DROP("vlan_too_deep") },
	{ TUN, TAGS(S(2, 10), C(7, 55)), DROP("vlan_too_deep") },
	{ TUN, TAGS(THREE), DROP("vlan_too_deep") },
	{ TUN, TAGS(C(7, 55)), .cut = 16, DROP("vlan_truncated") },
	{ TUN, UNTAGGED, .dst = HQ, TO(OUT(QINQ, S(1, 300))) },
	{ TUN, TAGS(C(7, 55)), .dst = HQ, TO(OUT(QINQ, S(7, 300), C(7, 55))) },

	/* trunk2: 10, and 2001 translated to trunk's 100. */
	{ TRUNK2, UNTAGGED, DROP("vlan_untagged_not_allowed") },
	{ TRUNK2, TAGS(C(4, 0)), DROP("vlan_untagged_not_allowed") },
	{ TRUNK2, TAGS(C(5, 2001)), TO(OUT(TRUNK, C(5, 100)), OUT(QINQ, S(5, 100))) },
	{ TRUNK2, TAGS(CD(3, 2001)), TO(OUT(TRUNK, CD(3, 100)), OUT(QINQ, SD(3, 100))) },
	{ TRUNK2, TAGS(C(5, 10)), TO(OUT_U(ACC10), OUT(TRUNK, C(5, 10)), OUT_U(NU),
				     OUT(NT, C(5, 10))) },
	{ TRUNK2, TAGS(C(5, 100)), DROP("vlan_not_allowed") },
	{ TRUNK2, TAGS(C(5, 20)), DROP("vlan_not_allowed") },
	{ TRUNK2, TAGS(C(5, 2001), C(7, 55)), DROP("vlan_too_deep") },
	{ TRUNK2, TAGS(S(5, 2001)), DROP("vlan_tpid_mismatch") },
	{ TRUNK2, TAGS(C(5, 2001)), .cut = 17, DROP("vlan_truncated") },
	{ TRUNK2, TAGS(C(5, 2001)), .dst = HX, DROP("same_member") },
	{ TRUNK2, TAGS(C(5, 10)), .dst = H20, TO(OUT_U(ACC10), OUT(TRUNK, C(5, 10)),
						 OUT_U(NU), OUT(NT, C(5, 10))) },
};

/* ---- Round 3 ------------------------------------------------------------ */

static const struct port_def ports_3[N_PORTS] = {
	[ACC10] = { "access", 10, NULL, NULL, 0, 0 },
	[ACC20] = { "access", 40, NULL, NULL, 0, 3 },
	[TRUNK] = { "trunk", 0, "10,20,40,100", NULL, 0, 0 },
	[NU] = { "native-untagged", 10, "10", NULL, 0, 0 },
	[NT] = { "native-tagged", 20, "10,20", NULL, 0, 6 },
	[QINQ] = { "trunk", 0, "100,300", "0x88a8", 1, 0 },
	[TUN] = { "tunnel", 300, NULL, NULL, 0, 1 },
	[TRUNK2] = { "trunk", 0, "10,40,2002", NULL, 0, 0 },
};

static const struct bd_def bds_3[] = {
	{ "v10", { { ACC10, 10 }, { TRUNK, 10 }, { NU, 10 }, { NT, 10 } },
	  { { H10, NT, 10 } } },
	{ "v20", { { TRUNK, 20 }, { NT, 20 } }, { { H20, NT, 20 } } },
	{ "v40", { { ACC20, 40 }, { TRUNK, 40 }, { TRUNK2, 40 } }, { { 0 } } },
	{ "xlat", { { TRUNK, 100 }, { TRUNK2, 2002 }, { QINQ, 100 } },
	  { { HX, TRUNK2, 2002 } } },
};

static const struct row rows_3[] = {
	{ ACC10, UNTAGGED, TO(OUT(TRUNK, C(0, 10)), OUT_U(NU), OUT(NT, C(0, 10))) },
	{ ACC10, UNTAGGED, .dst = H10, TO(OUT(NT, C(0, 10))) },
	{ ACC20, UNTAGGED, TO(OUT(TRUNK, C(3, 40)), OUT(TRUNK2, C(3, 40))) },
	{ ACC20, TAGS(C(5, 20)), DROP("vlan_tagged_on_access") },
	{ TRUNK, TAGS(C(5, 10)), TO(OUT_U(ACC10), OUT_U(NU), OUT(NT, C(5, 10))) },
	{ TRUNK, TAGS(C(5, 20)), TO(OUT(NT, C(5, 20))) },
	{ TRUNK, TAGS(C(6, 40)), TO(OUT_U(ACC20), OUT(TRUNK2, C(6, 40))) },
	{ TRUNK, TAGS(C(1, 100)), TO(OUT(TRUNK2, C(1, 2002)), OUT(QINQ, S(1, 100))) },
	{ TRUNK, TAGS(C(1, 100)), .dst = HX, TO(OUT(TRUNK2, C(1, 2002))) },
	{ NU, UNTAGGED, TO(OUT_U(ACC10), OUT(TRUNK, C(0, 10)), OUT(NT, C(0, 10))) },
	{ NU, TAGS(C(5, 20)), DROP("vlan_not_allowed") },
	{ NT, UNTAGGED, TO(OUT(TRUNK, C(6, 20))) },
	{ NT, TAGS(C(5, 20)), TO(OUT(TRUNK, C(5, 20))) },
	{ NT, TAGS(C(5, 10)), TO(OUT_U(ACC10), OUT(TRUNK, C(5, 10)), OUT_U(NU)) },
	{ QINQ, TAGS(S(5, 300)), DROP("no_bd") },
	{ QINQ, TAGS(S(2, 300), C(7, 55)), DROP("no_bd") },
	{ QINQ, TAGS(S(5, 100)), TO(OUT(TRUNK, C(5, 100)), OUT(TRUNK2, C(5, 2002))) },
	{ TUN, UNTAGGED, DROP("no_bd") },
	{ TRUNK2, TAGS(C(5, 2001)), DROP("vlan_not_allowed") },
	{ TRUNK2, TAGS(C(5, 2002)), TO(OUT(TRUNK, C(5, 100)), OUT(QINQ, S(5, 100))) },
	{ TRUNK2, TAGS(C(5, 10)), DROP("no_bd") },
	{ TRUNK2, TAGS(C(5, 40)), TO(OUT_U(ACC20), OUT(TRUNK, C(5, 40))) },
	{ TRUNK2, TAGS(C(5, 10)), .dst = H10, DROP("no_bd") },
};

struct round {
	const struct port_def *ports;
	const struct bd_def *bds;
	size_t n_bds;
	const struct row *rows;
	size_t n_rows;
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const struct round round_first = { ports_1, bds_1, ARRAY_SIZE(bds_1),
					  rows_1, ARRAY_SIZE(rows_1) };
static const struct round round_changed = { ports_3, bds_3, ARRAY_SIZE(bds_3),
					    rows_3, ARRAY_SIZE(rows_3) };

/* ---- Frames ------------------------------------------------------------- */

static struct frame row_body(const struct row *row, size_t index)
{
	uint8_t dst[6], src[6];
	if (row->dst)
		mac_from_id(dst, row->dst);
	else
		memset(dst, 0xff, 6);
	mac_from_id(src, (uint16_t)(0x100 + index));
	return vlan_golden_body(dst, src, (uint8_t)index);
}

static struct frame row_input(const struct row *row, size_t index)
{
	struct frame body = row_body(row, index);
	return vlan_golden_tagged(&body, row->tags, row->cut);
}

static size_t row_drop_count(const struct row *row)
{
	size_t n = 0;
	while (n < 3 && row->drops[n])
		n++;
	return n;
}

/* ---- Configuration ------------------------------------------------------ */

static json_t *port_json(struct test_switch *sw, int port,
			 const struct port_def *def, unsigned round)
{
	char devargs[512];
	snprintf(devargs, sizeof(devargs),
		 "net_pcap%d,rx_pcap=%s/%s.r%u.in.pcap,tx_pcap=%s/%s.r%u.out.pcap",
		 port, test_switch_dir(sw), port_names[port], round,
		 test_switch_dir(sw), port_names[port], round);
	json_t *vlan = json_pack("{s:s, s:i}", "mode", def->mode, "pcp", def->pcp);
	if (def->vid)
		json_object_set_new(vlan, "vid", json_integer(def->vid));
	if (def->allowed)
		json_object_set_new(vlan, "allowed", json_string(def->allowed));
	if (def->tpid)
		json_object_set_new(vlan, "tpid", json_string(def->tpid));
	if (def->inner_tags)
		json_object_set_new(vlan, "inner_tags", json_integer(def->inner_tags));
	return json_pack("{s:s, s:s, s:o}", "name", port_names[port], "devargs",
			 devargs, "vlan", vlan);
}

static json_t *bd_json(const struct bd_def *def)
{
	json_t *members = json_array(), *statics = json_array();
	for (int m = 0; m < 6 && def->members[m].port; m++)
		json_array_append_new(members, json_pack(
			"{s:s, s:i}", "port", port_names[def->members[m].port],
			"vid", def->members[m].vid));
	for (int s = 0; s < 3 && def->static_macs[s].host; s++) {
		uint8_t mac[6];
		char text[18];
		mac_from_id(mac, def->static_macs[s].host);
		snprintf(text, sizeof(text), "%02x:%02x:%02x:%02x:%02x:%02x",
			 mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
		json_array_append_new(statics, json_pack(
			"{s:s, s:s, s:i}", "mac", text, "port",
			port_names[def->static_macs[s].port], "vid",
			def->static_macs[s].vid));
	}
	return json_pack("{s:s, s:o, s:o}", "name", def->name, "members", members,
			 "static_macs", statics);
}

/* The round's desired state: the background ports and BD as they run now
 * (from show-config), then the round's ports on fresh pcap files. */
static json_t *round_config(struct test_switch *sw, const struct round *round,
			    unsigned number, const char *admin)
{
	json_t *running = test_switch_call(sw, "show-config", NULL);
	if (!running)
		fail_msg("show-config: %s", test_switch_error(sw));
	json_t *ports = json_array(), *bds = json_array();
	size_t i;
	json_t *item;
	json_array_foreach(json_object_get(running, "ports"), i, item) {
		const char *name = json_string_value(json_object_get(item, "name"));
		if (strncmp(name, "bg", 2) == 0)
			json_array_append(ports, item);
	}
	json_array_foreach(json_object_get(running, "bridge_domains"), i, item) {
		const char *name = json_string_value(json_object_get(item, "name"));
		if (strcmp(name, "bg") == 0)
			json_array_append(bds, item);
	}
	json_decref(running);
	for (int p = 1; p < N_PORTS; p++) {
		json_t *port = port_json(sw, p, &round->ports[p], number);
		json_object_set_new(port, "admin", json_string(admin));
		json_array_append_new(ports, port);
	}
	for (size_t b = 0; b < round->n_bds; b++)
		json_array_append_new(bds, bd_json(&round->bds[b]));
	return json_pack("{s:o, s:o}", "ports", ports, "bridge_domains", bds);
}

/* ---- Rounds ------------------------------------------------------------- */

struct round_run {
	const struct round *round;
	unsigned number;
	struct frame_list expected[N_PORTS];
	json_t *counters_before;
};

static void output_file(char *file, size_t size, int port, unsigned number)
{
	snprintf(file, size, "%s.r%u.out.pcap", port_names[port], number);
}

static size_t frames_in(struct test_switch *sw, const char *file)
{
	/* net_pcap writes the file header with the first frames. */
	struct stat st;
	if (stat(test_switch_path(sw, file), &st) != 0 || st.st_size < 24)
		return 0;
	struct frame_list got;
	frame_list_init(&got);
	size_t count = test_switch_read_pcap(sw, file, &got) == 0 ? got.count : 0;
	frame_list_free(&got);
	return count;
}

static uint64_t drops_total(const json_t *counters)
{
	uint64_t total = 0;
	const char *name;
	json_t *value;
	json_object_foreach(json_object_get(counters, "drops"), name, value)
		total += (uint64_t)json_integer_value(value);
	return total;
}

/* Whether every output file holds its expected count and the drops grew
 * by the table's count. */
static bool round_done(struct test_switch *sw, struct round_run *run,
		       size_t n_drops)
{
	for (int p = 1; p < N_PORTS; p++) {
		char file[64];
		output_file(file, sizeof(file), p, run->number);
		if (frames_in(sw, file) < run->expected[p].count)
			return false;
	}
	json_t *now = test_switch_counters(sw);
	if (!now)
		fail_msg("counters: %s", test_switch_error(sw));
	bool done = drops_total(now) - drops_total(run->counters_before) >= n_drops;
	json_decref(now);
	return done;
}

/* Writes the inputs, applies the round's configuration and waits until
 * every frame is through; then checks the drop counters and `trace` of
 * every row. The outputs are compared by round_check_outputs once the
 * ports are closed. */
static void round_start(struct test_switch *sw, struct round_run *run,
			const struct round *round, unsigned number)
{
	struct frame_list inputs[N_PORTS];
	const char *drops[3 * ARRAY_SIZE(rows_1)];
	size_t n_drops = 0;

	run->round = round;
	run->number = number;
	for (int p = 0; p < N_PORTS; p++) {
		frame_list_init(&inputs[p]);
		frame_list_init(&run->expected[p]);
	}
	for (size_t i = 0; i < round->n_rows; i++) {
		const struct row *row = &round->rows[i];
		struct frame input = row_input(row, i);
		frame_list_add(&inputs[row->port], input.data, input.length);
		struct frame body = row_body(row, i);
		for (int o = 0; o < 5 && row->outputs[o].port; o++) {
			struct frame out = vlan_golden_tagged(&body, row->outputs[o].tags, 0);
			frame_list_add(&run->expected[row->outputs[o].port], out.data,
				       out.length);
		}
		for (size_t d = 0; d < row_drop_count(row); d++)
			drops[n_drops++] = row->drops[d];
	}
	for (int p = 1; p < N_PORTS; p++) {
		char file[64];
		snprintf(file, sizeof(file), "%s.r%u.in.pcap", port_names[p], number);
		assert_int_equal(test_switch_write_pcap(sw, file, &inputs[p]), 0);
		frame_list_free(&inputs[p]);
	}

	run->counters_before = test_switch_counters(sw);
	assert_non_null(run->counters_before);
	/* The round's ports start down and come up together, once the
	 * whole configuration is in place (static MACs included: see
	 * test_apply_static_macs). */
	for (int step = 0; step < 2; step++) {
		json_t *config = round_config(sw, round, number,
					      step ? "up" : "down");
		json_t *result = test_switch_call(sw, "apply",
						  json_pack("{s:o}", "config", config));
		if (!result)
			fail_msg("apply round %u: %s", number, test_switch_error(sw));
		json_decref(result);
	}

	/* Every frame through (outputs and drops counted), then a quiet
	 * moment in which nothing more may come. */
	unsigned waited = 0;
	while (!round_done(sw, run, n_drops)) {
		if (waited > 20000) {
			test_switch_print_log(sw);
			fail_msg("round %u: frames still missing after 20 s", number);
		}
		usleep(20000);
		waited += 20;
	}
	usleep(300000);
	json_t *after = test_switch_counters(sw);
	assert_non_null(after);
	printf("# round %u: %zu rows, %zu drops counted\n", number, round->n_rows,
	       n_drops);
	assert_true(vlan_golden_drops_equal(run->counters_before, after, drops,
					    n_drops));
	json_decref(after);
	json_decref(run->counters_before);
	run->counters_before = NULL;

	/* trace names the same outputs (ports) or the same drop reason. */
	bool agree = true;
	for (size_t i = 0; i < round->n_rows; i++) {
		const struct row *row = &round->rows[i];
		struct frame input = row_input(row, i);
		json_t *trace = vlan_golden_trace(sw, port_names[row->port], &input);
		const char *action = json_string_value(json_object_get(trace, "action"));
		const char *reason = json_string_value(json_object_get(trace, "drop_reason"));
		size_t n_drops_row = row_drop_count(row);
		char got[128] = "", expected[128] = "";
		if (n_drops_row) {
			snprintf(expected, sizeof(expected), "drop %s",
				 row->drops[n_drops_row - 1]);
		} else {
			/* Port names in port order. */
			for (int p = 1; p < N_PORTS; p++)
				for (int o = 0; o < 5; o++)
					if (row->outputs[o].port == p)
						snprintf(expected + strlen(expected),
							 sizeof(expected) - strlen(expected),
							 "%s ", port_names[p]);
		}
		if (action && strcmp(action, "drop") == 0) {
			snprintf(got, sizeof(got), "drop %s", reason ? reason : "?");
		} else {
			json_t *outputs = json_object_get(trace, "outputs");
			for (int p = 1; p < N_PORTS; p++) {
				size_t k;
				json_t *out;
				json_array_foreach(outputs, k, out) {
					const char *port = json_string_value(
						json_object_get(out, "port"));
					if (port && strcmp(port, port_names[p]) == 0)
						snprintf(got + strlen(got),
							 sizeof(got) - strlen(got),
							 "%s ", port_names[p]);
				}
			}
		}
		if (strcmp(got, expected) != 0) {
			printf("# round %u row %zu (%s): trace says \"%s\", table \"%s\"\n",
			       number, i, port_names[row->port], got, expected);
			agree = false;
		}
		json_decref(trace);
	}
	assert_true(agree);
}

static void round_check_outputs(struct test_switch *sw, struct round_run *run)
{
	bool all = true;
	for (int p = 1; p < N_PORTS; p++) {
		char file[64];
		output_file(file, sizeof(file), p, run->number);
		all &= test_switch_output_equal(sw, file, &run->expected[p], false);
		frame_list_free(&run->expected[p]);
	}
	if (!all)
		fail_msg("round %u: outputs differ from the table", run->number);
}

/* ---- Changes under traffic ---------------------------------------------- */

/* The ports `trace` lists for a frame, space-separated in reply order
 * sorted by the table's port order; "drop <reason>" when dropped. */
static void trace_summary(struct test_switch *sw, const char *port,
			  const struct frame *frame, char *out, size_t size)
{
	json_t *trace = vlan_golden_trace(sw, port, frame);
	const char *action = json_string_value(json_object_get(trace, "action"));
	out[0] = '\0';
	if (action && strcmp(action, "drop") == 0) {
		snprintf(out, size, "drop %s", json_string_value(
			json_object_get(trace, "drop_reason")));
	} else {
		size_t k;
		json_t *o;
		json_array_foreach(json_object_get(trace, "outputs"), k, o)
			snprintf(out + strlen(out), size - strlen(out), "%s%s",
				 k ? " " : "",
				 json_string_value(json_object_get(o, "port")));
	}
	json_decref(trace);
}

#define assert_trace(sw, port, frame, expected)                                \
	do {                                                                   \
		char trace_got[256];                                           \
		trace_summary((sw), (port), (frame), trace_got,                \
			      sizeof(trace_got));                              \
		if (strcmp(trace_got, (expected)) != 0)                        \
			fail_msg("trace on %s: \"%s\", expected \"%s\"", (port),\
				 trace_got, (expected));                       \
	} while (0)

#define call_ok(sw, command, ...)                                              \
	do {                                                                   \
		json_t *call_result = test_switch_callf((sw), (command),       \
							__VA_ARGS__);          \
		if (!call_result)                                              \
			fail_msg("%s: %s", (command), test_switch_error(sw));  \
		json_decref(call_result);                                      \
	} while (0)

#define CHURN_ROUNDS 20

static void churn(struct test_switch *sw)
{
	static const struct golden_tag c40[3] = { C(6, 40) };
	static const struct golden_tag c10[3] = { C(5, 10) };
	static const struct golden_tag s300[3] = { S(5, 300) };
	uint8_t broadcast[6], src[6];
	memset(broadcast, 0xff, 6);
	mac_from_id(src, 0x300);
	struct frame body = vlan_golden_body(broadcast, src, 0x33);
	struct frame trunk40 = vlan_golden_tagged(&body, c40, 0);
	struct frame trunk10 = vlan_golden_tagged(&body, c10, 0);
	struct frame qinq300 = vlan_golden_tagged(&body, s300, 0);
	struct frame acc10 = body;

	uint64_t rx_start = test_switch_counter(sw, "ports.bgsrc.rx_packets");
	uint64_t bgnull3_in_bg = 0;
	for (int i = 0; i < CHURN_ROUNDS; i++) {
		/* bgnull3 (trunk 10,20) joins bg in VID 10, then leaves: it
		 * transmits nothing once it has left. */
		uint64_t before = test_switch_counter(sw, "ports.bgnull3.tx_packets");
		call_ok(sw, "member-add", "{s:s, s:s, s:i}", "bd", "bg", "port",
			"bgnull3", "vid", 10);
		call_ok(sw, "member-remove", "{s:s, s:s, s:i}", "bd", "bg", "port",
			"bgnull3", "vid", 10);
		uint64_t left = test_switch_counter(sw, "ports.bgnull3.tx_packets");
		bgnull3_in_bg += left - before;

		/* A BD on trunk VID 40 (allowed, no BD so far). */
		assert_trace(sw, "trunk", &trunk40, "drop no_bd");
		call_ok(sw, "bd-add", "{s:{s:s, s:[{s:s, s:i}, {s:s, s:i}]}}", "bd",
			"name", "tmp40", "members", "port", "trunk", "vid", 40,
			"port", "bgnull3", "vid", 20);
		assert_trace(sw, "trunk", &trunk40, "bgnull3");
		call_ok(sw, "bd-remove", "{s:s}", "name", "tmp40");
		assert_trace(sw, "trunk", &trunk40, "drop no_bd");

		/* trunk2.10 leaves v10 and comes back. */
		assert_trace(sw, "acc10", &acc10, "trunk nu nt trunk2");
		call_ok(sw, "member-remove", "{s:s, s:s, s:i}", "bd", "v10", "port",
			"trunk2", "vid", 10);
		assert_trace(sw, "acc10", &acc10, "trunk nu nt");
		assert_trace(sw, "trunk", &trunk10, "acc10 nu nt");
		call_ok(sw, "member-add", "{s:s, s:s, s:i}", "bd", "v10", "port",
			"trunk2", "vid", 10);
		assert_trace(sw, "trunk", &trunk10, "acc10 nu nt trunk2");

		/* svc goes and comes back. */
		assert_trace(sw, "qinq", &qinq300, "tun");
		call_ok(sw, "bd-remove", "{s:s}", "name", "svc");
		assert_trace(sw, "qinq", &qinq300, "drop no_bd");
		call_ok(sw, "bd-add", "{s:{s:s, s:[{s:s, s:i}, {s:s, s:i}]}}", "bd",
			"name", "svc", "members", "port", "qinq", "vid", 300,
			"port", "tun", "vid", 300);
		assert_trace(sw, "qinq", &qinq300, "tun");

		/* The background never leaves its BD, and bgnull3 sends
		 * nothing outside it. */
		assert_int_equal(test_switch_counter(sw, "ports.bgnull3.tx_packets"),
				 left);
	}
	uint64_t rx_end = test_switch_counter(sw, "ports.bgsrc.rx_packets");
	printf("# %d rounds of changes while %llu background frames flowed; "
	       "bgnull3 sent %llu while in bg\n", CHURN_ROUNDS,
	       (unsigned long long)(rx_end - rx_start),
	       (unsigned long long)bgnull3_in_bg);
	assert_true(rx_end - rx_start >= 1000);
}

static void test_isolation_matrix(void **state)
{
	struct test_switch *sw = test_switch_create("vlan-matrix");
	*state = sw;
	struct frame_list source;
	frame_list_init(&source);
	uint8_t broadcast[6], src[6];
	memset(broadcast, 0xff, 6);
	mac_from_id(src, 0xb0);
	struct frame bg = vlan_golden_body(broadcast, src, 0xbb);
	frame_list_add(&source, bg.data, bg.length);
	assert_int_equal(test_switch_write_pcap(sw, "bg.pcap", &source), 0);
	frame_list_free(&source);

	/* The background: bgsrc (access 10) floods endlessly into bg, whose
	 * other members are sinks; bgnull3 waits outside. */
	if (test_switch_start(sw,
		"ports:\n"
		"  - name: bgsrc\n"
		"    devargs: net_pcap9,rx_pcap=@DIR@/bg.pcap,infinite_rx=1\n"
		"    vlan: {mode: access, vid: 10}\n"
		"  - name: bgnull1\n    devargs: net_null0,no-rx=1\n"
		"    vlan: {mode: access, vid: 10}\n"
		"  - name: bgnull2\n    devargs: net_null1,no-rx=1\n"
		"    vlan: {mode: trunk, allowed: \"10,20\"}\n"
		"  - name: bgnull3\n    devargs: net_null2,no-rx=1\n"
		"    vlan: {mode: trunk, allowed: \"10,20\"}\n"
		"bridge_domains:\n"
		"  - name: bg\n    members:\n"
		"      - port: bgsrc\n        vid: 10\n"
		"      - port: bgnull1\n        vid: 10\n"
		"      - port: bgnull2\n        vid: 10\n") != 0)
		fail_msg("loom-switch did not start: %s", test_switch_error(sw));
	if (test_switch_wait_counter(sw, "ports.bgsrc.rx_packets", 1000, 20000) != 0)
		fail_msg("%s", test_switch_error(sw));

	static struct round_run first, changed, again;
	round_start(sw, &first, &round_first, 1);
	churn(sw);
	round_start(sw, &changed, &round_changed, 3);
	round_check_outputs(sw, &first); /* its ports were replaced: closed */
	round_start(sw, &again, &round_first, 4);
	round_check_outputs(sw, &changed);

	/* Stop the background; every background frame went to bg's sinks
	 * and nowhere else. */
	call_ok(sw, "port-set", "{s:s, s:s}", "name", "bgsrc", "admin", "down");
	if (test_switch_wait_idle(sw, 20000) != 0)
		fail_msg("%s", test_switch_error(sw));
	json_t *c = test_switch_counters(sw);
	assert_non_null(c);
	uint64_t flooded = counters_value(c, "bridge_domains.bg.flooded");
	assert_true(flooded >= 1000);
	assert_int_equal(counters_value(c, "bridge_domains.bg.packets"), flooded);
	assert_int_equal(counters_value(c, "ports.bgnull1.tx_packets"), flooded);
	assert_int_equal(counters_value(c, "ports.bgnull2.tx_packets"), flooded);
	json_decref(c);
	int status = test_switch_stop(sw);
	if (status != 0)
		fail_msg("loom-switch stopped with %d", status);
	round_check_outputs(sw, &again);
}


static void test_apply_static_macs(void **state)
{
	struct test_switch *sw = test_switch_create("vlan-static");
	*state = sw;
	struct frame_list input, none, expected;
	frame_list_init(&input);
	frame_list_init(&none);
	frame_list_init(&expected);
	uint8_t dst[6], src[6];
	mac_from_id(dst, 0xbeef);
	mac_from_id(src, 0xa);
	for (int i = 0; i < 64; i++) {
		struct frame frame = vlan_golden_body(dst, src, (uint8_t)i);
		frame_list_add(&input, frame.data, frame.length);
		frame_list_add(&expected, frame.data, frame.length);
	}
	assert_int_equal(test_switch_write_pcap(sw, "a.in.pcap", &input), 0);
	assert_int_equal(test_switch_write_empty_pcap(sw, "b.in.pcap"), 0);
	assert_int_equal(test_switch_write_empty_pcap(sw, "c.in.pcap"), 0);
	/* A busy worker (an endless source into its own BD) keeps the
	 * window between publication and the static entries open long
	 * enough to be seen. */
	struct frame busy = vlan_golden_body(dst, dst, 0);
	busy.data[0] = 0xff;
	mac_from_id(busy.data + 6, 0xb);
	struct frame_list busy_list;
	frame_list_init(&busy_list);
	frame_list_add(&busy_list, busy.data, busy.length);
	assert_int_equal(test_switch_write_pcap(sw, "busy.pcap", &busy_list), 0);
	frame_list_free(&busy_list);
	if (test_switch_start(sw, "ports:\n"
			      "  - name: busy\n"
			      "    devargs: net_pcap9,rx_pcap=@DIR@/busy.pcap,infinite_rx=1\n"
			      "  - name: sink\n    devargs: net_null0,no-rx=1\n"
			      "bridge_domains:\n"
			      "  - name: busy\n    members:\n"
			      "      - port: busy\n      - port: sink\n") != 0)
		fail_msg("loom-switch did not start: %s", test_switch_error(sw));
	if (test_switch_wait_counter(sw, "ports.busy.rx_packets", 1000, 20000) != 0)
		fail_msg("%s", test_switch_error(sw));
	json_t *running = test_switch_call(sw, "show-config", NULL);
	assert_non_null(running);
	json_t *ports = json_deep_copy(json_object_get(running, "ports"));
	json_t *bds = json_deep_copy(json_object_get(running, "bridge_domains"));
	json_decref(running);
	json_t *members = json_array();
	const char *names[] = { "a", "b", "c" };
	for (int p = 0; p < 3; p++) {
		char devargs[512];
		snprintf(devargs, sizeof(devargs),
			 "net_pcap%d,rx_pcap=%s/%s.in.pcap,tx_pcap=%s/%s.out.pcap",
			 p, test_switch_dir(sw), names[p], test_switch_dir(sw),
			 names[p]);
		json_array_append_new(ports, json_pack(
			"{s:s, s:s, s:{s:s, s:i}}", "name", names[p], "devargs",
			devargs, "vlan", "mode", "access", "vid", 10));
		json_array_append_new(members, json_pack("{s:s, s:i}", "port",
							 names[p], "vid", 10));
	}
	json_array_append_new(bds, json_pack(
		"{s:s, s:o, s:[{s:s, s:s, s:i}]}", "name", "s", "members", members,
		"static_macs", "mac", "02:00:00:00:be:ef", "port", "b", "vid", 10));
	json_t *config = json_pack("{s:o, s:o}", "ports", ports,
				   "bridge_domains", bds);
	json_t *result = test_switch_call(sw, "apply",
					  json_pack("{s:o}", "config", config));
	if (!result)
		fail_msg("apply: %s", test_switch_error(sw));
	json_decref(result);
	if (test_switch_wait_counter(sw, "ports.a.rx_packets", 64, 20000) != 0)
		fail_msg("%s", test_switch_error(sw));
	usleep(300000);
	uint64_t flooded = test_switch_counter(sw, "bridge_domains.s.flooded");
	/* Once apply has returned, the static entry is there. */
	struct frame late = vlan_golden_body(dst, src, 0xee);
	json_t *trace = vlan_golden_trace(sw, "a", &late);
	json_t *outputs = json_object_get(trace, "outputs");
	assert_int_equal(json_array_size(outputs), 1);
	assert_string_equal(json_string_value(json_object_get(
				    json_array_get(outputs, 0), "port")), "b");
	json_decref(trace);
	int status = test_switch_stop(sw);
	if (status != 0)
		fail_msg("loom-switch stopped with %d", status);
	assert_true(test_switch_output_equal(sw, "b.out.pcap", &expected, true));
	frame_list_free(&input);
	frame_list_free(&expected);
	if (flooded != 0 || !test_switch_output_equal(sw, "c.out.pcap", &none, true)) {
		frame_list_free(&none);
		/* Static entries must be in the FDB before the table that
		 * names them is published (switch_apply). */
		fail_msg("%llu of 64 frames to a static MAC of a newly applied "
			 "BD were flooded", (unsigned long long)flooded);
	}
	frame_list_free(&none);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_isolation_matrix, test_switch_teardown),
		cmocka_unit_test_teardown(test_apply_static_macs,
					  test_switch_teardown),
	};
	return cmocka_run_group_tests_name("golden vlan isolation matrix", tests,
					   NULL, NULL);
}
