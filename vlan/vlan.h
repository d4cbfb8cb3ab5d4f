/* vlan: 802.1Q / 802.1ad tags and port VLAN semantics, on byte buffers.
 *
 * Plain C with no DPDK, so it is unit-tested and fuzzed anywhere. The switch
 * pipeline (vswitch/) calls it once per frame on the mbuf's data; the hot
 * functions are static inline here, read and write big-endian fields byte by
 * byte (no alignment assumption) and check every length before reading.
 *
 * Three layers:
 *
 *  1. Tags. vlan_parse() reads the tag stack (at most VLAN_MAX_DEPTH tags);
 *     vlan_push(), vlan_pop(), vlan_set_vid(), vlan_set_pcp() edit the
 *     outermost tag in place. Push needs 4 bytes of headroom before the
 *     frame: the 12 MAC bytes move 4 bytes earlier, nothing else moves.
 *
 *  2. Ports. `struct vlan_port` describes one port's VLAN mode. It is built
 *     by the control thread (vlan_port_init, vlan_port_allow, ...,
 *     vlan_port_check) and published with the switch's table; workers only
 *     read it. vlan_port_classify() decides what an arriving frame is
 *     (verdict, VID, PCP, tags to strip); vlan_port_egress() decides how a
 *     frame of a VID leaves a port (untagged or with which tag).
 *
 *  3. Rewrite. vlan_rewrite() turns a classified frame into its egress form
 *     for one output port in place: pop, push, or rewrite the tag (VID
 *     translation) keeping PCP and DEI. vlan_egress_header() writes the same
 *     egress form's first bytes into a separate buffer, for flood copies
 *     that share the original frame's data.
 *
 * A frame inside a bridge domain is thought of without the port's own tag:
 * classification names the tags to strip and the VID; egress adds the
 * output port's tag. The same bridge domain may use VID 100 on one trunk
 * and VID 2001 on another: the VID given to vlan_port_egress() is the
 * output member's, so translation is just a tag rewrite.
 *
 * Ingress: vlan_port_classify(). "VID/1" means accepted in that VID with
 * 1 tag to strip; drops are named without their "vlan_" prefix. "Own tag":
 * the outermost tag has the port's `tpid`. "C-tag": a 0x8100 tag. "QinQ":
 * a trunk-mode port with inner_tags = 1. Rows are checked top-down, so a
 * cut or too deep stack is that on every port, whatever else it is.
 *
 *   frame                   access            trunk          native-*
 *   cut inside its stack    truncated         truncated      truncated
 *   three tags              too_deep          too_deep       too_deep
 *   untagged                port VID/0        untagged_not_  native/0
 *                                             allowed
 *   own tag with VID 0      port VID/1        untagged_not_  native/1
 *     (priority tag)                          allowed
 *   own tag, VID allowed    tagged_on_access  VID/1          VID/1
 *   own tag, VID not        tagged_on_access  not_allowed    not_allowed
 *     allowed (or 4095)
 *   other TPID outermost    tagged_on_access  tpid_mismatch  tpid_mismatch
 *   accepted own tag        tagged_on_access  QinQ: as without it (the
 *     + a C-tag inside                        C-tag is kept); else too_deep
 *   accepted own tag        tagged_on_access  QinQ: tpid_mismatch;
 *     + another tag inside                    else too_deep
 *
 *   tunnel (dot1q-tunnel, the customer side of QinQ): every frame is the
 *   port's VID/0, all its bytes kept. It may carry one customer C-tag
 *   (0x8100, any VID including 0 and 4095). An outermost tag of another
 *   TPID is tpid_mismatch; two tags are too_deep (with the S-tag pushed at
 *   egress they would be three).
 *
 *   PCP and DEI: from the own tag (the customer C-tag on a tunnel port),
 *   else the port's `pcp` and DEI 0. They go into any tag pushed at egress.
 *
 * Egress: vlan_port_egress(port, vid) for a frame of `vid` (the output
 * member's VID on this port). Inner tags: how many tags the frame may
 * still carry inside (after the port's own tag, if any).
 *
 *   mode             vid == port VID    vid allowed  otherwise    inner tags
 *   access           untagged           -            not_allowed  0
 *   tunnel           untagged           -            not_allowed  1
 *   trunk            -                  push         not_allowed  inner_tags
 *   native-untagged  untagged (native)  push         not_allowed  0 / pushed:
 *                                                                 inner_tags
 *   native-tagged    push (native)      push         not_allowed  inner_tags
 *
 * vlan_rewrite() drops a frame carrying more inner tags as too_deep, so a
 * port emits only frames it would itself accept: a C-tag never leaves
 * untagged through an access or native-untagged port, where it would be
 * read as the port's own tag (the double-tagging VLAN hop).
 *
 * The native VID is in the allowed set (vlan_port_init puts it there and
 * vlan_port_check insists), so it is also accepted tagged.
 */
#ifndef LOOM_VLAN_H
#define LOOM_VLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define VLAN_TPID_8021Q 0x8100  /* C-tag */
#define VLAN_TPID_8021AD 0x88a8 /* S-tag */
#define VLAN_TPID_9100 0x9100   /* pre-standard S-tag some gear still sends */

#define VLAN_MAC_BYTES 12 /* destination and source MAC: tags follow them */
#define VLAN_TAG_BYTES 4  /* TPID + TCI */
#define VLAN_ETHER_HEADER_BYTES 14
#define VLAN_MAX_DEPTH 2  /* S-tag + C-tag; a third tag is too deep */
#define VLAN_VID_COUNT 4096
#define VLAN_VID_FIRST 1  /* 0 marks a priority tag */
#define VLAN_VID_LAST 4094 /* 4095 is reserved */
#define VLAN_PCP_MAX 7

/* The per-frame functions are inlined whatever the compiler's size
 * heuristics say: gcc otherwise outlines part of the classifier. */
#define VLAN_HOT static inline __attribute__((always_inline))

/* ---- Verdicts --------------------------------------------------------------
 * Why a frame is dropped. The names (with the prefix "vlan_") and the texts
 * are those of vswitch.h's drop reasons, so the pipeline maps them 1:1:
 *
 *   static const uint8_t vlan_drop_reason[VLAN_VERDICT_MAX] = {
 *   #define _(name, text) [VLAN_DROP_##name] = VSWITCH_DROP_vlan_##name,
 *	foreach_vlan_drop
 *   #undef _
 *   };
 */
#define foreach_vlan_drop                                                      \
	_(tagged_on_access, "tagged frame on an access port")                  \
	_(not_allowed, "VID not allowed on the trunk")                         \
	_(truncated, "VLAN tag truncated")                                     \
	_(too_deep, "tag stack deeper than supported")                         \
	_(tpid_mismatch, "0x8100/0x88a8 mix the port does not accept")         \
	_(untagged_not_allowed, "untagged frame on a port with no native "     \
				"VLAN")                                        \
	_(push_failed, "no headroom to push a tag")

enum vlan_verdict {
	VLAN_OK = 0,
#define _(name, text) VLAN_DROP_##name,
	foreach_vlan_drop
#undef _
	VLAN_VERDICT_MAX
};

/* "ok", then "vlan_tagged_on_access", ...: vswitch's drop names. */
extern const char *const vlan_verdict_names[VLAN_VERDICT_MAX];
extern const char *const vlan_verdict_descriptions[VLAN_VERDICT_MAX];

/* ---- Tags ------------------------------------------------------------- */

static inline uint16_t vlan_read16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline void vlan_write16(uint8_t *p, uint16_t value)
{
	p[0] = (uint8_t)(value >> 8);
	p[1] = (uint8_t)value;
}

/* Moves the 12 MAC bytes by a tag's length, either way. gcc 12 makes a
 * library call of a 12-byte memmove; loading both words before storing
 * them is overlap-safe and stays two loads and two stores. */
static inline void vlan_move_macs(uint8_t *to, const uint8_t *from)
{
	uint64_t head;
	uint32_t tail;

	memcpy(&head, from, sizeof(head));
	memcpy(&tail, from + 8, sizeof(tail));
	memcpy(to, &head, sizeof(head));
	memcpy(to + 8, &tail, sizeof(tail));
}

/* The TPIDs read as tags. All three are always recognized, whatever the
 * port accepts: a tag that some port could not see as one would pass as an
 * untagged frame's EtherType. */
static inline bool vlan_is_tpid(uint16_t type)
{
	return type == VLAN_TPID_8021Q || type == VLAN_TPID_8021AD ||
	       type == VLAN_TPID_9100;
}

/* The same for a type read as it lies in the frame (network order): no
 * byte swap; the two TPIDs 0x8100 and 0x9100 differ in one bit. */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define VLAN_NETWORK16(x) ((uint16_t)((x) >> 8 | ((x) & 0xff) << 8))
#else
#define VLAN_NETWORK16(x) ((uint16_t)(x))
#endif
static inline bool vlan_is_tpid_network(uint16_t type_network)
{
	return (type_network & VLAN_NETWORK16(0xefff)) ==
		       VLAN_NETWORK16(VLAN_TPID_8021Q) ||
	       type_network == VLAN_NETWORK16(VLAN_TPID_8021AD);
}

static inline uint16_t vlan_tci(uint8_t pcp, uint8_t dei, uint16_t vid)
{
	return (uint16_t)((pcp & 7u) << 13 | (dei & 1u) << 12 | (vid & 0xfffu));
}

static inline uint8_t vlan_tci_pcp(uint16_t tci)
{
	return (uint8_t)(tci >> 13);
}

static inline uint8_t vlan_tci_dei(uint16_t tci)
{
	return (uint8_t)((tci >> 12) & 1u);
}

static inline uint16_t vlan_tci_vid(uint16_t tci)
{
	return tci & 0xfffu;
}

struct vlan_tag {
	uint16_t tpid;
	uint16_t vid;
	uint8_t pcp;
	uint8_t dei;
};

/* A parsed tag stack. Written by vlan_parse(), read by its caller. */
struct vlan_stack {
	struct vlan_tag tags[VLAN_MAX_DEPTH]; /* outermost first */
	uint8_t depth;             /* tags: 0..VLAN_MAX_DEPTH */
	uint16_t ethertype_offset; /* 12 + 4 * depth; 0 on error */
	uint16_t ethertype;        /* the EtherType after the tags */
};

/* Reads the tag stack of frame[0..length). Returns VLAN_OK, or
 * VLAN_DROP_truncated when the frame ends before a tag's TCI or before the
 * EtherType after the tags (so also for frames under 14 bytes), or
 * VLAN_DROP_too_deep when a third tag follows two. On error, depth counts
 * the tags read so far. */
static inline enum vlan_verdict vlan_parse(const uint8_t *frame, size_t length,
					   struct vlan_stack *stack)
{
	size_t offset = VLAN_MAC_BYTES;

	stack->depth = 0;
	stack->ethertype_offset = 0;
	stack->ethertype = 0;
	for (;;) {
		if (length < offset + 2)
			return VLAN_DROP_truncated;
		uint16_t type = vlan_read16(frame + offset);
		if (!vlan_is_tpid(type)) {
			stack->ethertype_offset = (uint16_t)offset;
			stack->ethertype = type;
			return VLAN_OK;
		}
		if (stack->depth == VLAN_MAX_DEPTH)
			return VLAN_DROP_too_deep;
		if (length < offset + VLAN_TAG_BYTES + 2)
			return VLAN_DROP_truncated;
		uint16_t tci = vlan_read16(frame + offset + 2);
		struct vlan_tag *tag = &stack->tags[stack->depth++];
		tag->tpid = type;
		tag->vid = vlan_tci_vid(tci);
		tag->pcp = vlan_tci_pcp(tci);
		tag->dei = vlan_tci_dei(tci);
		offset += VLAN_TAG_BYTES;
	}
}

/* Pushes an outermost tag. The caller guarantees `headroom` writable bytes
 * before frame (an mbuf's headroom). Returns the new start (frame - 4; the
 * frame is 4 bytes longer), or NULL when headroom < 4 or length < 12. */
static inline uint8_t *vlan_push(uint8_t *frame, size_t length,
				 size_t headroom, uint16_t tpid, uint16_t tci)
{
	if (headroom < VLAN_TAG_BYTES || length < VLAN_MAC_BYTES)
		return NULL;
	uint8_t *start = frame - VLAN_TAG_BYTES;
	vlan_move_macs(start, frame);
	vlan_write16(start + VLAN_MAC_BYTES, tpid);
	vlan_write16(start + VLAN_MAC_BYTES + 2, tci);
	return start;
}

/* Pops the outermost tag. Returns the new start (frame + 4; the frame is 4
 * bytes shorter), or NULL when the frame has no complete outermost tag
 * (length < 16 or the bytes at 12 are not a TPID). */
static inline uint8_t *vlan_pop(uint8_t *frame, size_t length)
{
	if (length < VLAN_MAC_BYTES + VLAN_TAG_BYTES ||
	    !vlan_is_tpid(vlan_read16(frame + VLAN_MAC_BYTES)))
		return NULL;
	uint8_t *start = frame + VLAN_TAG_BYTES;
	vlan_move_macs(start, frame);
	return start;
}

/* Rewrites the VID of the outermost tag, keeping PCP and DEI. Returns 0, or
 * -1 when the frame has no complete outermost tag or vid > 4095. */
static inline int vlan_set_vid(uint8_t *frame, size_t length, uint16_t vid)
{
	if (vid >= VLAN_VID_COUNT ||
	    length < VLAN_MAC_BYTES + VLAN_TAG_BYTES ||
	    !vlan_is_tpid(vlan_read16(frame + VLAN_MAC_BYTES)))
		return -1;
	uint8_t *tci = frame + VLAN_MAC_BYTES + 2;
	vlan_write16(tci, (uint16_t)((vlan_read16(tci) & 0xf000u) | vid));
	return 0;
}

/* Sets the PCP of the outermost tag, keeping DEI and VID. Returns 0, or -1
 * when the frame has no complete outermost tag or pcp > 7. */
static inline int vlan_set_pcp(uint8_t *frame, size_t length, uint8_t pcp)
{
	if (pcp > VLAN_PCP_MAX || length < VLAN_MAC_BYTES + VLAN_TAG_BYTES ||
	    !vlan_is_tpid(vlan_read16(frame + VLAN_MAC_BYTES)))
		return -1;
	uint8_t *tci = frame + VLAN_MAC_BYTES + 2;
	vlan_write16(tci, (uint16_t)((vlan_read16(tci) & 0x1fffu) |
				     (unsigned)pcp << 13));
	return 0;
}

/* ---- Ports ------------------------------------------------------------ */

/* Port modes. _(name, "config name", "description") */
#define foreach_vlan_port_mode                                                 \
	_(access, "access", "one VID; untagged frames only")                   \
	_(trunk, "trunk", "allowed VID set; tagged frames only")               \
	_(native_untagged, "native-untagged",                                  \
	  "trunk whose untagged frames are the native VID, which leaves "      \
	  "untagged")                                                          \
	_(native_tagged, "native-tagged",                                      \
	  "trunk whose untagged frames are the native VID, which leaves "      \
	  "tagged")                                                            \
	_(tunnel, "tunnel",                                                    \
	  "dot1q-tunnel: one S-VID; customer frames, untagged or C-tagged, "   \
	  "pass untouched inside")

enum vlan_port_mode {
#define _(name, text, description) VLAN_PORT_##name,
	foreach_vlan_port_mode
#undef _
	VLAN_PORT_MODE_MAX
};

extern const char *const vlan_port_mode_names[VLAN_PORT_MODE_MAX];
extern const char *const vlan_port_mode_descriptions[VLAN_PORT_MODE_MAX];

/* One port's VLAN mode.
 * Written by: the control thread, while building a new switch table
 * (vlan_port_init and friends, then vlan_port_check).
 * Read by: workers (classify, egress), never written once published.
 * The first 8 bytes are what every frame reads; the allowed set is touched
 * one 64-bit word per tagged frame. */
struct vlan_port {
	uint8_t mode;       /* enum vlan_port_mode */
	uint8_t inner_tags; /* trunk modes: tags allowed inside the port's own
			     * tag: 0, or 1 for QinQ (the SP's C-tags) */
	uint8_t pcp;        /* PCP given to frames that arrive without one */
	uint8_t reserved;
	uint16_t tpid;      /* TPID of the port's own tag (trunk modes) */
	uint16_t vid;       /* access, tunnel: the VID; native-*: native VID */
	uint64_t allowed[VLAN_VID_COUNT / 64]; /* trunk modes: VID set */
};

static inline bool vlan_port_allows(const struct vlan_port *port, uint16_t vid)
{
	return vid < VLAN_VID_COUNT &&
	       (port->allowed[vid >> 6] >> (vid & 63)) & 1u;
}

/* Control thread. init: mode and VID (the access or tunnel VID, the native
 * VID, or 0 for a plain trunk); TPID 0x8100, no inner tags, PCP 0, an empty
 * allowed set but for the native VID. Returns 0, or -1 if mode or VID is
 * out of range: the port then drops every frame and fails vlan_port_check. */
int vlan_port_init(struct vlan_port *port, enum vlan_port_mode mode,
		   uint16_t vid);
/* QinQ on a trunk port: own tag TPID (0x8100, 0x88a8 or 0x9100) and how
 * many C-tags it carries inside (0 or 1). Returns 0 or -1. */
int vlan_port_set_tpid(struct vlan_port *port, uint16_t tpid,
		       uint8_t inner_tags);
/* Default PCP for untagged frames. Returns 0 or -1 if pcp > 7. */
int vlan_port_set_pcp(struct vlan_port *port, uint8_t pcp);
/* Adds or removes VIDs first..last (within 1..4094). Returns 0 or -1. */
int vlan_port_allow(struct vlan_port *port, uint16_t first, uint16_t last);
int vlan_port_disallow(struct vlan_port *port, uint16_t first, uint16_t last);
/* Adds a list such as "10,20,100-199" (spaces allowed). Returns 0, or -1
 * with the port unchanged when the text is malformed or out of range. */
int vlan_port_allow_list(struct vlan_port *port, const char *list);
/* The allowed set as such a list ("" when empty), NUL-terminated and
 * truncated to size. Returns the length the full text needs (snprintf). */
size_t vlan_port_format_allowed(const struct vlan_port *port, char *buf,
				size_t size);
unsigned vlan_port_allowed_count(const struct vlan_port *port);
/* Whether the port is consistent: NULL when it is, else why not (for the
 * control thread to report before it publishes the port). */
const char *vlan_port_check(const struct vlan_port *port);
/* "native-untagged" -> VLAN_PORT_native_untagged. Returns 0 or -1. */
int vlan_port_mode_parse(const char *name, enum vlan_port_mode *mode);

/* What an arriving frame is, for vswitch. Returned by value (10 bytes: in
 * registers). Fields other than verdict are 0 unless verdict is VLAN_OK. */
struct vlan_classification {
	uint8_t verdict;       /* enum vlan_verdict */
	uint8_t pcp;           /* priority to keep: 0..7 */
	uint8_t dei;
	uint8_t tags_to_strip; /* the port's own or priority tag: 0 or 1 */
	uint8_t inner_tags;    /* tags left after stripping: 0 or 1 */
	uint8_t reserved;
	uint16_t vid;          /* the VID on this port: 1..4094 */
	uint16_t ethertype;    /* EtherType after all tags */
};

static inline struct vlan_classification
vlan_classification_drop(enum vlan_verdict verdict)
{
	struct vlan_classification c = { .verdict = (uint8_t)verdict };
	return c;
}

/* Ingress: classifies frame[0..length) arriving on port (see the table at
 * the top). Reads at most the first 22 bytes; writes nothing. The tag
 * stack is read unrolled here, by the same rules as vlan_parse() (the
 * fuzz target checks they agree), so it stays in registers. */
VLAN_HOT struct vlan_classification
vlan_port_classify(const struct vlan_port *port, const uint8_t *frame,
		   size_t length)
{
	struct vlan_classification c = { .verdict = VLAN_OK };
	uint16_t outer_tpid = 0, outer_tci = 0, inner_tpid = 0;
	unsigned depth = 0;

	if (length < VLAN_ETHER_HEADER_BYTES)
		return vlan_classification_drop(VLAN_DROP_truncated);
	uint16_t type = vlan_read16(frame + 12);
	if (vlan_is_tpid(type)) {
		if (length < 18)
			return vlan_classification_drop(VLAN_DROP_truncated);
		outer_tpid = type;
		outer_tci = vlan_read16(frame + 14);
		type = vlan_read16(frame + 16);
		depth = 1;
		if (vlan_is_tpid(type)) {
			if (length < 22)
				return vlan_classification_drop(
					VLAN_DROP_truncated);
			inner_tpid = type;
			type = vlan_read16(frame + 20);
			if (vlan_is_tpid(type))
				return vlan_classification_drop(
					VLAN_DROP_too_deep);
			depth = 2;
		}
	}
	c.ethertype = type;

	if (port->mode == VLAN_PORT_tunnel) {
		/* The customer's frame, as is, in the port's VID. */
		if (depth > 1)
			return vlan_classification_drop(VLAN_DROP_too_deep);
		if (depth == 1) {
			if (outer_tpid != VLAN_TPID_8021Q)
				return vlan_classification_drop(
					VLAN_DROP_tpid_mismatch);
			c.pcp = vlan_tci_pcp(outer_tci);
			c.dei = vlan_tci_dei(outer_tci);
		} else {
			c.pcp = port->pcp;
		}
		c.vid = port->vid;
		c.inner_tags = (uint8_t)depth;
		return c;
	}

	bool own = depth > 0 && outer_tpid == port->tpid;
	if (depth > 0 && !own)
		return vlan_classification_drop(
			port->mode == VLAN_PORT_access ?
				VLAN_DROP_tagged_on_access :
				VLAN_DROP_tpid_mismatch);
	uint16_t outer_vid = vlan_tci_vid(outer_tci);
	if (own && outer_vid != 0) {
		if (port->mode == VLAN_PORT_access)
			return vlan_classification_drop(
				VLAN_DROP_tagged_on_access);
		if (!vlan_port_allows(port, outer_vid))
			return vlan_classification_drop(VLAN_DROP_not_allowed);
		c.vid = outer_vid;
	} else {
		/* Untagged, or a priority tag: 802.1Q reads VID 0 as "the
		 * port's VID", with the tag's priority. */
		if (port->mode == VLAN_PORT_trunk)
			return vlan_classification_drop(
				VLAN_DROP_untagged_not_allowed);
		c.vid = port->vid;
	}
	if (own) {
		c.pcp = vlan_tci_pcp(outer_tci);
		c.dei = vlan_tci_dei(outer_tci);
		c.tags_to_strip = 1;
	} else {
		c.pcp = port->pcp;
	}
	/* depth <= 2, and a tag is stripped whenever there is one, so at most
	 * one tag (the inner one) is left inside. */
	c.inner_tags = (uint8_t)(depth - c.tags_to_strip);
	if (c.inner_tags) {
		if (port->mode == VLAN_PORT_access)
			return vlan_classification_drop(
				VLAN_DROP_tagged_on_access);
		if (c.inner_tags > port->inner_tags)
			return vlan_classification_drop(VLAN_DROP_too_deep);
		if (inner_tpid != VLAN_TPID_8021Q)
			return vlan_classification_drop(
				VLAN_DROP_tpid_mismatch);
	}
	return c;
}

/* How a frame of one VID leaves a port, for vswitch. 8 bytes, by value. */
struct vlan_egress {
	uint8_t verdict;        /* VLAN_OK or VLAN_DROP_not_allowed */
	uint8_t push;           /* 1: leaves with a tag (tpid, vid) */
	uint8_t inner_tags_max; /* tags the frame may carry inside */
	uint8_t reserved;
	uint16_t tpid;
	uint16_t vid;
};

/* Egress: how a frame of `vid` (the output member's VID on this port)
 * leaves port (see the table at the top). */
VLAN_HOT struct vlan_egress vlan_port_egress(const struct vlan_port *port,
						  uint16_t vid)
{
	struct vlan_egress e = { .verdict = VLAN_OK, .tpid = port->tpid,
				 .vid = vid };

	switch (port->mode) {
	case VLAN_PORT_access:
	case VLAN_PORT_tunnel:
		if (vid != port->vid)
			e.verdict = VLAN_DROP_not_allowed;
		e.inner_tags_max = port->mode == VLAN_PORT_tunnel;
		return e;
	case VLAN_PORT_native_untagged:
		if (vid == port->vid)
			return e;
		/* fall through */
	default:
		if (!vlan_port_allows(port, vid))
			e.verdict = VLAN_DROP_not_allowed;
		e.push = 1;
		e.inner_tags_max = port->inner_tags;
		return e;
	}
}

/* Turns a classified frame into its egress form for one output port, in
 * place: strips the classification's tag and pushes the output's, or, when
 * both are there, rewrites the tag (new TPID and VID, same PCP and DEI).
 * `headroom` bytes before frame must be writable (for a push).
 * Returns VLAN_OK and sets *moved to how far the frame start moved: -4
 * (pushed: frame - 4, length + 4), 0 (rewritten or unchanged) or +4
 * (popped: frame + 4, length - 4). With an mbuf: rte_pktmbuf_prepend(m, 4)
 * or rte_pktmbuf_adj(m, 4) after the call. Otherwise returns the verdict
 * (in's or out's, too_deep for inner tags the port may not emit,
 * push_failed, truncated if length cannot hold the stripped tag) and
 * leaves the frame alone. */
VLAN_HOT enum vlan_verdict
vlan_rewrite(uint8_t *frame, size_t length, size_t headroom,
	     const struct vlan_classification *in, const struct vlan_egress *out,
	     int *moved)
{
	*moved = 0;
	if (in->verdict != VLAN_OK)
		return (enum vlan_verdict)in->verdict;
	if (out->verdict != VLAN_OK)
		return (enum vlan_verdict)out->verdict;
	if (in->inner_tags > out->inner_tags_max)
		return VLAN_DROP_too_deep;
	if (length < VLAN_MAC_BYTES + (size_t)in->tags_to_strip * VLAN_TAG_BYTES)
		return VLAN_DROP_truncated;

	uint16_t tci = vlan_tci(in->pcp, in->dei, out->vid);
	if (in->tags_to_strip) {
		if (out->push) {
			vlan_write16(frame + VLAN_MAC_BYTES, out->tpid);
			vlan_write16(frame + VLAN_MAC_BYTES + 2, tci);
		} else {
			vlan_move_macs(frame + VLAN_TAG_BYTES, frame);
			*moved = VLAN_TAG_BYTES;
		}
	} else if (out->push) {
		if (headroom < VLAN_TAG_BYTES)
			return VLAN_DROP_push_failed;
		uint8_t *start = frame - VLAN_TAG_BYTES;
		vlan_move_macs(start, frame);
		vlan_write16(start + VLAN_MAC_BYTES, out->tpid);
		vlan_write16(start + VLAN_MAC_BYTES + 2, tci);
		*moved = -VLAN_TAG_BYTES;
	}
	return VLAN_OK;
}

/* The same egress form without touching the frame, for flood copies that
 * share its data: writes the egress frame's first bytes (the MACs, then the
 * pushed or rewritten tag if any) to header and sets *header_length (12 or
 * 16) and *rest_offset, where the rest of the egress frame starts in frame
 * (12 or 16): egress frame = header + frame[rest_offset..length).
 * Returns VLAN_OK or a verdict as vlan_rewrite() (never push_failed). */
VLAN_HOT enum vlan_verdict
vlan_egress_header(uint8_t header[VLAN_MAC_BYTES + VLAN_TAG_BYTES],
		   const uint8_t *frame, size_t length,
		   const struct vlan_classification *in,
		   const struct vlan_egress *out, size_t *header_length,
		   size_t *rest_offset)
{
	*header_length = 0;
	*rest_offset = 0;
	if (in->verdict != VLAN_OK)
		return (enum vlan_verdict)in->verdict;
	if (out->verdict != VLAN_OK)
		return (enum vlan_verdict)out->verdict;
	if (in->inner_tags > out->inner_tags_max)
		return VLAN_DROP_too_deep;
	if (length < VLAN_MAC_BYTES + (size_t)in->tags_to_strip * VLAN_TAG_BYTES)
		return VLAN_DROP_truncated;

	memcpy(header, frame, VLAN_MAC_BYTES);
	*header_length = VLAN_MAC_BYTES;
	*rest_offset = VLAN_MAC_BYTES + (size_t)in->tags_to_strip * VLAN_TAG_BYTES;
	if (out->push) {
		vlan_write16(header + VLAN_MAC_BYTES, out->tpid);
		vlan_write16(header + VLAN_MAC_BYTES + 2,
			     vlan_tci(in->pcp, in->dei, out->vid));
		*header_length += VLAN_TAG_BYTES;
	}
	return VLAN_OK;
}

#endif
