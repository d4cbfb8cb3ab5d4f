/* vlan: names from the X-macro lists, and the control thread's side of a
 * port: building, checking and printing a struct vlan_port. The per-frame
 * functions are inline in vlan.h. */
#include "vlan.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>

const char *const vlan_verdict_names[VLAN_VERDICT_MAX] = {
	[VLAN_OK] = "ok",
#define _(name, text) [VLAN_DROP_##name] = "vlan_" #name,
	foreach_vlan_drop
#undef _
};

const char *const vlan_verdict_descriptions[VLAN_VERDICT_MAX] = {
	[VLAN_OK] = "accepted",
#define _(name, text) [VLAN_DROP_##name] = text,
	foreach_vlan_drop
#undef _
};

const char *const vlan_port_mode_names[VLAN_PORT_MODE_MAX] = {
#define _(name, text, description) [VLAN_PORT_##name] = text,
	foreach_vlan_port_mode
#undef _
};

const char *const vlan_port_mode_descriptions[VLAN_PORT_MODE_MAX] = {
#define _(name, text, description) [VLAN_PORT_##name] = description,
	foreach_vlan_port_mode
#undef _
};

static bool vid_valid(unsigned vid)
{
	return vid >= VLAN_VID_FIRST && vid <= VLAN_VID_LAST;
}

static bool mode_is_trunk(unsigned mode)
{
	return mode == VLAN_PORT_trunk || mode == VLAN_PORT_native_untagged ||
	       mode == VLAN_PORT_native_tagged;
}

static bool mode_has_vid(unsigned mode)
{
	return mode != VLAN_PORT_trunk;
}

int vlan_port_init(struct vlan_port *port, enum vlan_port_mode mode,
		   uint16_t vid)
{
	memset(port, 0, sizeof(*port));
	if ((unsigned)mode >= VLAN_PORT_MODE_MAX ||
	    (mode_has_vid(mode) ? !vid_valid(vid) : vid != 0)) {
		/* A trunk with no TPID and no VIDs: drops every frame both
		 * ways, and fails vlan_port_check(). */
		port->mode = VLAN_PORT_trunk;
		return -1;
	}
	port->tpid = VLAN_TPID_8021Q;
	port->mode = (uint8_t)mode;
	port->vid = vid;
	if (mode == VLAN_PORT_native_untagged || mode == VLAN_PORT_native_tagged)
		vlan_port_allow(port, vid, vid);
	return 0;
}

int vlan_port_set_tpid(struct vlan_port *port, uint16_t tpid,
		       uint8_t inner_tags)
{
	if (!vlan_is_tpid(tpid) || inner_tags > VLAN_MAX_DEPTH - 1)
		return -1;
	port->tpid = tpid;
	port->inner_tags = inner_tags;
	return 0;
}

int vlan_port_set_pcp(struct vlan_port *port, uint8_t pcp)
{
	if (pcp > VLAN_PCP_MAX)
		return -1;
	port->pcp = pcp;
	return 0;
}

static int set_range(struct vlan_port *port, uint16_t first, uint16_t last,
		     bool allow)
{
	if (!vid_valid(first) || !vid_valid(last) || first > last)
		return -1;
	for (unsigned vid = first; vid <= last; vid++) {
		uint64_t bit = 1ull << (vid & 63);
		if (allow)
			port->allowed[vid >> 6] |= bit;
		else
			port->allowed[vid >> 6] &= ~bit;
	}
	return 0;
}

int vlan_port_allow(struct vlan_port *port, uint16_t first, uint16_t last)
{
	return set_range(port, first, last, true);
}

int vlan_port_disallow(struct vlan_port *port, uint16_t first, uint16_t last)
{
	return set_range(port, first, last, false);
}

/* One decimal VID; advances *text past it and trailing spaces. */
static int parse_vid(const char **text, uint16_t *vid)
{
	const char *p = *text;
	unsigned value = 0;

	while (*p == ' ')
		p++;
	if (!isdigit((unsigned char)*p))
		return -1;
	while (isdigit((unsigned char)*p)) {
		value = value * 10 + (unsigned)(*p++ - '0');
		if (value > VLAN_VID_LAST)
			return -1;
	}
	while (*p == ' ')
		p++;
	if (!vid_valid(value))
		return -1;
	*vid = (uint16_t)value;
	*text = p;
	return 0;
}

int vlan_port_allow_list(struct vlan_port *port, const char *list)
{
	uint64_t allowed[VLAN_VID_COUNT / 64];
	const char *p = list;

	/* Parse everything before changing anything. */
	memcpy(allowed, port->allowed, sizeof(allowed));
	for (;;) {
		uint16_t first, last;
		if (parse_vid(&p, &first) < 0)
			goto malformed;
		last = first;
		if (*p == '-') {
			p++;
			if (parse_vid(&p, &last) < 0)
				goto malformed;
		}
		if (vlan_port_allow(port, first, last) < 0)
			goto malformed;
		if (*p == '\0')
			return 0;
		if (*p++ != ',')
			goto malformed;
	}
malformed:
	memcpy(port->allowed, allowed, sizeof(allowed));
	return -1;
}

/* Appends text to buf as snprintf would: counts it all, writes what fits. */
static void append(char *buf, size_t size, size_t *used, const char *text)
{
	size_t n = strlen(text);

	if (*used + 1 < size) {
		size_t room = size - 1 - *used;
		size_t copy = n < room ? n : room;
		memcpy(buf + *used, text, copy);
		buf[*used + copy] = '\0';
	}
	*used += n;
}

size_t vlan_port_format_allowed(const struct vlan_port *port, char *buf,
				size_t size)
{
	size_t used = 0;

	if (size)
		buf[0] = '\0';
	for (unsigned vid = VLAN_VID_FIRST; vid <= VLAN_VID_LAST; vid++) {
		if (!vlan_port_allows(port, (uint16_t)vid))
			continue;
		unsigned last = vid;
		while (last < VLAN_VID_LAST &&
		       vlan_port_allows(port, (uint16_t)(last + 1)))
			last++;
		char item[16];
		if (last == vid)
			snprintf(item, sizeof(item), "%s%u", used ? "," : "",
				 vid);
		else
			snprintf(item, sizeof(item), "%s%u-%u",
				 used ? "," : "", vid, last);
		append(buf, size, &used, item);
		vid = last;
	}
	return used;
}

unsigned vlan_port_allowed_count(const struct vlan_port *port)
{
	unsigned count = 0;

	for (size_t i = 0; i < VLAN_VID_COUNT / 64; i++)
		count += (unsigned)__builtin_popcountll(port->allowed[i]);
	return count;
}

const char *vlan_port_check(const struct vlan_port *port)
{
	if (port->mode >= VLAN_PORT_MODE_MAX)
		return "unknown port mode";
	if (!vlan_is_tpid(port->tpid))
		return "TPID is not 0x8100, 0x88a8 or 0x9100";
	if (port->pcp > VLAN_PCP_MAX)
		return "PCP above 7";
	if (port->inner_tags > VLAN_MAX_DEPTH - 1)
		return "more than one inner tag";
	if (vlan_port_allows(port, 0) ||
	    vlan_port_allows(port, VLAN_VID_COUNT - 1))
		return "VID 0 or 4095 in the allowed set";
	if (mode_has_vid(port->mode) && !vid_valid(port->vid))
		return "port VID not in 1..4094";
	if (port->mode == VLAN_PORT_trunk && port->vid != 0)
		return "a trunk without native VLAN has no port VID";
	if (mode_is_trunk(port->mode) && port->mode != VLAN_PORT_trunk &&
	    !vlan_port_allows(port, port->vid))
		return "native VID not in the allowed set";
	if (!mode_is_trunk(port->mode) &&
	    (vlan_port_allowed_count(port) || port->inner_tags))
		return "access and tunnel ports have no allowed set or "
		       "inner tags";
	return NULL;
}

int vlan_port_mode_parse(const char *name, enum vlan_port_mode *mode)
{
	for (unsigned i = 0; i < VLAN_PORT_MODE_MAX; i++) {
		if (strcmp(name, vlan_port_mode_names[i]) == 0) {
			*mode = (enum vlan_port_mode)i;
			return 0;
		}
	}
	return -1;
}
