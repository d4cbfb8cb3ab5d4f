"""Frames and pcap files with the standard library only (no scapy), for the
demo and the benchmarks. Tests in C use tests/lib/test_pcap.h instead."""
import struct


def mac(text):
    return bytes(int(b, 16) for b in text.split(':'))


def ipv4_checksum(header):
    total = sum(struct.unpack('!%dH' % (len(header) // 2), header))
    while total >> 16:
        total = (total & 0xffff) + (total >> 16)
    return (~total) & 0xffff


def udp_frame(dst, src, flow=0, tags=(), length=64,
              ip_src=(198, 18, 0, 1), ip_dst=None):
    """An Ethernet/IPv4/UDP frame of `length` bytes with FCS when untagged
    (60 in the file); tags are (TPID, TCI) pairs, outermost first, and add
    4 bytes each, so pushing or popping a tag keeps the rest of the frame."""
    eth = mac(dst) + mac(src)
    for tpid, tci in tags:
        eth += struct.pack('!HH', tpid, tci)
    eth += struct.pack('!H', 0x0800)
    payload_len = max(length - 4 - 14 - 28, 0)
    ip_dst = ip_dst or (198, 18, 1, (flow + 1) & 0xff)
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 28 + payload_len, 0, 0x4000,
                     64, 17, 0, bytes(ip_src), bytes(ip_dst))
    ip = ip[:10] + struct.pack('!H', ipv4_checksum(ip)) + ip[12:]
    udp = struct.pack('!HHHH', 40000 + flow, 50000 + flow, 8 + payload_len, 0)
    return eth + ip + udp + bytes(payload_len)


def write_pcap(path, frames):
    with open(path, 'wb') as out:
        out.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for i, frame in enumerate(frames):
            out.write(struct.pack('<IIII', 1, i, len(frame), len(frame)))
            out.write(frame)


def read_pcap(path):
    """The frames of a pcap file (microsecond or nanosecond, either order)."""
    with open(path, 'rb') as f:
        data = f.read()
    if len(data) < 24:
        return []
    magic = struct.unpack('<I', data[:4])[0]
    endian = '<' if magic in (0xa1b2c3d4, 0xa1b23c4d) else '>'
    frames, offset = [], 24
    while offset + 16 <= len(data):
        _, _, caplen, _ = struct.unpack(endian + 'IIII', data[offset:offset + 16])
        offset += 16
        frames.append(data[offset:offset + caplen])
        offset += caplen
    return frames


def vxlan_frame(inner, vni, outer_src_mac, outer_dst_mac, ip_src, ip_dst,
                source_port=49152, ttl=64):
    """inner wrapped in Ethernet/IPv4 (DF)/UDP 4789/VXLAN (I flag)."""
    eth = mac(outer_dst_mac) + mac(outer_src_mac) + struct.pack('!H', 0x0800)
    udp_length = 8 + 8 + len(inner)
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + udp_length, 0, 0x4000,
                     ttl, 17, 0, bytes(ip_src), bytes(ip_dst))
    ip = ip[:10] + struct.pack('!H', ipv4_checksum(ip)) + ip[12:]
    udp = struct.pack('!HHHH', source_port, 4789, udp_length, 0)
    vxlan = struct.pack('!BBHI', 0x08, 0, 0, vni << 8)
    return eth + ip + udp + vxlan + inner
