/* tc clsact programs that make a namespace's eth0 a host on one VLAN of a
 * trunk, for kernels without the 8021q module: egress pushes an 802.1Q tag
 * with VID, ingress accepts only frames tagged with VID and pops the tag.
 * Everything else is dropped (untagged frames, other VIDs, other TPIDs).
 *
 * Compiled at test time, one object per VID:
 *   clang -O2 -g -target bpf -DVID=10 -I/usr/include/$(uname -m)-linux-gnu \
 *         -c vlan_tag.bpf.c -o vlan_tag_10.o
 * and attached with
 *   tc qdisc add dev eth0 clsact
 *   tc filter add dev eth0 egress bpf direct-action obj vlan_tag_10.o sec tc/egress
 *   tc filter add dev eth0 ingress bpf direct-action obj vlan_tag_10.o sec tc/ingress
 *
 * On receive the kernel moves an outer 802.1Q/802.1ad tag into the skb's
 * metadata before tc ingress runs, so the tag is read there (vlan_present,
 * vlan_proto, vlan_tci), not in the packet bytes.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>

#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#ifndef VID
#error "compile with -DVID=<1..4094>"
#endif

SEC("tc/egress")
int vlan_egress(struct __sk_buff *skb)
{
	/* The host sends untagged frames only; anything else is not ours. */
	if (skb->vlan_present)
		return TC_ACT_SHOT;
	if (bpf_skb_vlan_push(skb, bpf_htons(ETH_P_8021Q), VID) != 0)
		return TC_ACT_SHOT;
	return TC_ACT_OK;
}

SEC("tc/ingress")
int vlan_ingress(struct __sk_buff *skb)
{
	if (!skb->vlan_present || skb->vlan_proto != bpf_htons(ETH_P_8021Q) ||
	    (skb->vlan_tci & 0x0fff) != VID)
		return TC_ACT_SHOT;
	if (bpf_skb_vlan_pop(skb) != 0)
		return TC_ACT_SHOT;
	return TC_ACT_OK;
}

char _license[] SEC("license") = "GPL";
