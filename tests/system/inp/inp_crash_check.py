#!/usr/bin/env python3
"""Checks of loom-inp's store and API after a crash burst (inp-crash.sh).
Prints each problem on a line and exits 1 if there is any.

  inp_crash_check.py store STORE
      every VNet reserved or deleted; every reserved VNet has slivers, all
      in GENI states; no reservation (CPU, bandwidth, tag) belongs to a
      VNet that is not reserved; no tag twice on one link; foreign keys.
  inp_crash_check.py totals STORE SUBSTRATE.json LIVE.json
      the substrate's totals as the API reports them (loomctl --json
      substrate show) are the sums of the live VNets' reservations in the
      store (CPU in millionths of a core, bandwidth in kbit/s, tags per
      link), and every element is within its capacity. LIVE.json:
      {"vnet id": expected CPU cores of the VNet (from its request)}; the
      store must hold exactly those VNets as reserved, each with exactly
      that CPU.
  inp_crash_check.py tags STORE MANIFEST.json...
      the (link, tag) of every hop of the live VNets' manifests are unique
      and are exactly the store's tag reservations.
"""
import json
import sqlite3
import sys
from collections import defaultdict

SLIVER_ALLOCATION = {"unallocated", "allocated", "provisioned"}
SLIVER_OPERATIONAL = {"pending_allocation", "notready", "configuring",
                      "ready", "stopping", "failed"}


def connect(path):
    return sqlite3.connect("file:%s?mode=ro" % path, uri=True)


def check_store(path):
    problems = []
    db = connect(path)
    for vnet, state in db.execute("SELECT id, state FROM vnets"):
        if state not in ("reserved", "deleted"):
            problems.append("VNet %d in state %r" % (vnet, state))
    for (vnet,) in db.execute(
            "SELECT id FROM vnets WHERE state = 'reserved' AND id NOT IN"
            " (SELECT vnet FROM slivers)"):
        problems.append("reserved VNet %d has no slivers" % vnet)
    for vnet, kind, virtual, allocation, operational in db.execute(
            "SELECT vnet, kind, virtual_id, allocation, operational"
            " FROM slivers"):
        if allocation not in SLIVER_ALLOCATION or \
                operational not in SLIVER_OPERATIONAL:
            problems.append("VNet %d %s %s: %s/%s" % (vnet, kind, virtual,
                                                     allocation, operational))
    for table in ("cpu_reservations", "bandwidth_reservations",
                  "tag_reservations"):
        for vnet, count in db.execute(
                "SELECT vnet, count(*) FROM %s WHERE vnet NOT IN (SELECT id"
                " FROM vnets WHERE state = 'reserved') GROUP BY vnet"
                % table):
            problems.append("%d rows of %s held by VNet %d, which is not"
                            " reserved (leaked)" % (count, table, vnet))
    for link, tag, count in db.execute(
            "SELECT substrate_link, tag, count(*) FROM tag_reservations"
            " GROUP BY substrate_link, tag HAVING count(*) > 1"):
        problems.append("tag %d on %s booked %d times" % (tag, link, count))
    for row in db.execute("PRAGMA foreign_key_check"):
        problems.append("foreign key: %r" % (row,))
    return problems


def check_totals(path, substrate_file, live_file):
    problems = []
    db = connect(path)
    substrate = json.load(open(substrate_file))
    live = {int(k): v for k, v in json.load(open(live_file)).items()}
    reserved = {vnet for (vnet,) in db.execute(
        "SELECT id FROM vnets WHERE state = 'reserved'")}
    if reserved != set(live):
        problems.append("reserved in the store %s, live through the API %s"
                        % (sorted(reserved), sorted(live)))
    cpu_of_vnet = dict(db.execute(
        "SELECT vnet, sum(amount) FROM cpu_reservations GROUP BY vnet"))
    for vnet, cores in live.items():
        if cpu_of_vnet.get(vnet, 0) != round(cores * 1e6):
            problems.append("VNet %d holds %s millionths of a core, its"
                            " request asks %s cores"
                            % (vnet, cpu_of_vnet.get(vnet, 0), cores))
    cpu = defaultdict(int, db.execute(
        "SELECT substrate_node, sum(amount) FROM cpu_reservations"
        " GROUP BY substrate_node"))
    for node in substrate["nodes"]:
        used = node.get("cpu_used")
        if used is None or abs(used * 1e6 - cpu[node["id"]]) > 0.5:
            problems.append("node %s: cpu_used %s, the store holds %s"
                            " millionths" % (node["id"], used,
                                             cpu[node["id"]]))
        if used is not None and used > node["cpu"] + 1e-9:
            problems.append("node %s over capacity: %s of %s"
                            % (node["id"], used, node["cpu"]))
    bandwidth = defaultdict(lambda: defaultdict(int))
    for link, direction, amount in db.execute(
            "SELECT substrate_link, direction, sum(amount) FROM"
            " bandwidth_reservations GROUP BY substrate_link, direction"):
        bandwidth[link][direction] = amount
    tags = defaultdict(int, db.execute(
        "SELECT substrate_link, count(*) FROM tag_reservations"
        " GROUP BY substrate_link"))
    for link in substrate["links"]:
        held = bandwidth[link["id"]]
        # docs/api.md gives one bandwidth_used_kbps per link while the
        # store budgets each direction: either the busier direction or
        # the sum of all is a faithful total.
        busier = max(held["none"] + held["forward"],
                     held["none"] + held["reverse"])
        total = held["none"] + held["forward"] + held["reverse"]
        used = link.get("bandwidth_used_kbps")
        if used not in (busier, total):
            problems.append("link %s: bandwidth_used_kbps %s, the store"
                            " holds %s" % (link["id"], used, dict(held)))
        if busier > link["bandwidth_kbps"]:
            problems.append("link %s over capacity: %d of %d kbit/s"
                            % (link["id"], busier, link["bandwidth_kbps"]))
        if link.get("tags_used") != tags[link["id"]]:
            problems.append("link %s: tags_used %s, the store holds %d"
                            % (link["id"], link.get("tags_used"),
                               tags[link["id"]]))
    return problems


def check_tags(path, manifests):
    problems = []
    db = connect(path)
    seen = defaultdict(list)
    for manifest_file in manifests:
        manifest = json.load(open(manifest_file))
        for link in manifest.get("links", []):
            for hop in link.get("hops", []):
                seen[(hop["substrate_link"], hop["tag"])].append(
                    "%s/%s" % (manifest["id"], link["id"]))
    for (link, tag), users in seen.items():
        if len(users) > 1:
            problems.append("tag %s on %s used by %s" % (tag, link, users))
    stored = set(db.execute(
        "SELECT substrate_link, tag FROM tag_reservations"))
    if stored != set(seen):
        problems.append("manifests' tags and the store's differ: only in"
                        " manifests %s, only in the store %s"
                        % (sorted(set(seen) - stored)[:5],
                           sorted(stored - set(seen))[:5]))
    return problems


def main():
    command = sys.argv[1]
    if command == "store":
        problems = check_store(sys.argv[2])
    elif command == "totals":
        problems = check_totals(*sys.argv[2:5])
    elif command == "tags":
        problems = check_tags(sys.argv[2], sys.argv[3:])
    else:
        sys.exit("unknown check %r" % command)
    for problem in problems[:30]:
        print(problem)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
