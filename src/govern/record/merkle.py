"""The Merkle tree of RFC 9162 §2.1 (Certificate Transparency 2.0): hashes, proofs and their verification.

Pure functions over bytes, no database: the store feeds stored subtree hashes in, an auditor
feeds a proof file in, and both get the same answer. Everything follows the RFC to the letter
so that any CT tooling can check govern's proofs:

- ``leaf_hash(d) = SHA-256(0x00 || d)``, ``node_hash(l, r) = SHA-256(0x01 || l || r)``; the
  prefixes keep a leaf from ever passing for an inner node (second-preimage resistance);
- ``MTH(D[n])`` splits at ``k``, the largest power of two *smaller* than ``n`` (not the
  midpoint), so a tree of any size has exactly one shape;
- inclusion paths (``PATH``, §2.1.3.1) and consistency proofs (``PROOF``/``SUBPROOF``,
  §2.1.4.1) are listed bottom-up, and verified with the RFC's own iterative algorithms
  (§2.1.3.2, §2.1.4.2), which never rebuild the tree.

The store keeps every *perfect* subtree ``(level, index)`` -- the hash of leaves
``[index·2^level, (index+1)·2^level)`` -- once it is complete; appending a leaf adds one leaf
node and one node per level it completes (:func:`append`), and any ``MTH(D[a:b])`` a proof
needs is rebuilt from O(log n) stored nodes (:func:`pieces`, :func:`range_hash`).
"""

from __future__ import annotations

import hashlib
from typing import Callable, Iterable, Mapping, Sequence

Node = tuple[int, int]  # (level, index) of a perfect subtree
#: MTH of the empty list: the hash of nothing
EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def split(n: int) -> int:
    """k: the largest power of two smaller than ``n`` (n ≥ 2)."""
    return 1 << ((n - 1).bit_length() - 1)


# -- appending: the frontier of perfect subtrees -------------------------------------------------

def frontier_nodes(size: int) -> list[Node]:
    """The perfect subtrees a tree of ``size`` leaves is made of, largest (leftmost) first."""
    out = []
    for level in range(size.bit_length() - 1, -1, -1):
        if size >> level & 1:
            out.append((level, (size >> level) - 1))
    return out


def append(frontier: Sequence[bytes], size: int, leaf: bytes) -> tuple[list[bytes], list[tuple[int, int, bytes]]]:
    """Add the leaf hash ``leaf`` at index ``size`` to a tree whose frontier is ``frontier``.

    Returns the new frontier and the nodes completed by this leaf, as ``(level, index, hash)``:
    the leaf itself, then one parent per level whose right child it completes. Costs
    ``O(trailing ones of size)`` hashes, one on average.
    """
    stack = list(frontier)
    new = [(0, size, leaf)]
    current, level, index = leaf, 0, size
    while index & 1:
        current = node_hash(stack.pop(), current)
        level, index = level + 1, index >> 1
        new.append((level, index, current))
    stack.append(current)
    return stack, new


def root_of_frontier(frontier: Sequence[bytes]) -> bytes:
    """MTH of the tree whose perfect subtrees (largest first) are ``frontier``: fold from the right."""
    if not frontier:
        return EMPTY_ROOT
    current = frontier[-1]
    for subtree in reversed(frontier[:-1]):
        current = node_hash(subtree, current)
    return current


# -- subtrees of a range ------------------------------------------------------------------------

def pieces(start: int, end: int) -> list[Node]:
    """The stored perfect subtrees that ``MTH(D[start:end])`` is computed from (see :func:`range_hash`)."""
    out: list[Node] = []
    if end > start:
        _pieces(start, end, out)
    return out


def _pieces(start: int, end: int, out: list[Node]) -> None:
    n = end - start
    if n & (n - 1) == 0 and start % n == 0:  # an aligned power of two: one stored node
        out.append((n.bit_length() - 1, start // n))
        return
    k = split(n) if n > 1 else 1
    _pieces(start, start + k, out)
    _pieces(start + k, end, out)


def range_hash(start: int, end: int, nodes: Mapping[Node, bytes] | Callable[[Node], bytes]) -> bytes:
    """``MTH(D[start:end])`` from stored perfect subtrees, split exactly as the RFC splits.

    The ranges a proof asks for always start on a multiple of their own split, so each
    left half is one stored node; an unaligned range still works, only with more nodes.
    """
    get = nodes.__getitem__ if isinstance(nodes, Mapping) else nodes
    if end <= start:
        return EMPTY_ROOT
    return _range_hash(start, end, get)


def _range_hash(start: int, end: int, get: Callable[[Node], bytes]) -> bytes:
    n = end - start
    if n & (n - 1) == 0 and start % n == 0:
        return get((n.bit_length() - 1, start // n))
    k = split(n) if n > 1 else 1
    return node_hash(_range_hash(start, start + k, get), _range_hash(start + k, end, get))


# -- proofs (RFC 9162 §2.1.3.1 and §2.1.4.1), as the ranges whose MTH they list -----------------

def inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """PATH(index, D[size]) as ``(start, end)`` ranges, bottom-up: each entry is ``MTH(D[start:end])``."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of {size} leaves")
    out: list[tuple[int, int]] = []
    start, end, m = 0, size, index
    while end - start > 1:
        k = split(end - start)
        if m < k:
            out.append((start + k, end))
            end = start + k
        else:
            out.append((start, start + k))
            start, m = start + k, m - k
    out.reverse()  # collected top-down; the RFC lists the path from the leaf up
    return out


def consistency_ranges(first: int, second: int) -> list[tuple[int, int]]:
    """PROOF(first, D[second]) = SUBPROOF(first, D[second], true) as ranges, bottom-up."""
    if not 0 < first <= second:
        raise ValueError(f"no consistency proof from {first} to {second} leaves")
    out: list[tuple[int, int]] = []
    start, end, m, whole = 0, second, first, True
    while True:
        n = end - start
        if m == n:
            if not whole:
                out.append((start, end))
            break
        k = split(n)
        if m <= k:
            out.append((start + k, end))
            end = start + k
        else:
            out.append((start, start + k))
            start, m, whole = start + k, m - k, False
    out.reverse()
    return out


def needed(ranges: Iterable[tuple[int, int]]) -> set[Node]:
    """Every stored node the given ranges are computed from: fetch these in one query."""
    return {node for start, end in ranges for node in pieces(start, end)}


def path_hashes(ranges: Iterable[tuple[int, int]], nodes: Mapping[Node, bytes] | Callable[[Node], bytes]) -> list[bytes]:
    return [range_hash(start, end, nodes) for start, end in ranges]


# -- verification (RFC 9162 §2.1.3.2 and §2.1.4.2) ------------------------------------------------

def root_from_inclusion(index: int, size: int, leaf: bytes, path: Sequence[bytes]) -> bytes | None:
    """The root an inclusion proof leads to, or None if the proof cannot be one for (index, size)."""
    if not 0 <= index < size:
        return None
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return r if sn == 0 else None


def verify_inclusion(index: int, size: int, leaf: bytes, path: Sequence[bytes], root: bytes) -> bool:
    return root_from_inclusion(index, size, leaf, path) == root


def verify_consistency(first: int, second: int, first_root: bytes, second_root: bytes,
                       path: Sequence[bytes]) -> bool:
    """Whether ``path`` proves the tree of ``first`` leaves is a prefix of the tree of ``second`` leaves.

    Equal sizes are consistent exactly when the roots are equal and the proof is empty (the
    RFC defines proofs for ``0 < first < second`` only); an empty first tree is a prefix of
    everything.
    """
    if first == second:
        return first_root == second_root and not path
    if first == 0:
        return first_root == EMPTY_ROOT and not path
    if not 0 < first < second or not path:
        return False
    proof = list(path)
    if first & (first - 1) == 0:  # an exact power of two: the first tree is itself a node of the path
        proof.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return fr == first_root and sr == second_root and sn == 0
