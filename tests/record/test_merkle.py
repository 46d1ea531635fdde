"""The Merkle math against the RFC: published test vectors, and a naive implementation of the definitions.

The reference functions below are the RFC 9162 §2.1 definitions transcribed literally
(recursive MTH, PATH, SUBPROOF over lists of leaves), deliberately sharing nothing with
:mod:`govern.record.merkle` but SHA-256; hypothesis then checks, for trees of 1..N leaves,
that every proof the module builds from stored subtrees equals the reference proof,
verifies, and that any altered proof, leaf, index, size or root fails.
"""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govern.record import merkle

# RFC 6962 / 9162 test vectors (as published with the CT reference implementations)
LEAVES = [bytes.fromhex(h) for h in ("", "00", "10", "2021", "3031", "40414243", "5051525354555657",
                                     "606162636465666768696a6b6c6d6e6f")]
ROOTS = ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
         "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
         "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
         "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
         "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
         "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
         "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
         "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"]
INCLUSION = [  # (leaf index, tree size, path)
    (0, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (5, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
]
CONSISTENCY = [  # (first size, second size, proof)
    (1, 1, []),
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]


# -- the RFC's definitions, literally ------------------------------------------------------------

def H(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def ref_k(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def ref_mth(d: list[bytes]) -> bytes:
    if not d:
        return H(b"")
    if len(d) == 1:
        return H(b"\x00" + d[0])
    k = ref_k(len(d))
    return H(b"\x01" + ref_mth(d[:k]) + ref_mth(d[k:]))


def ref_path(m: int, d: list[bytes]) -> list[bytes]:
    if len(d) == 1:
        return []
    k = ref_k(len(d))
    if m < k:
        return ref_path(m, d[:k]) + [ref_mth(d[k:])]
    return ref_path(m - k, d[k:]) + [ref_mth(d[:k])]


def ref_subproof(m: int, d: list[bytes], b: bool) -> list[bytes]:
    n = len(d)
    if m == n:
        return [] if b else [ref_mth(d)]
    k = ref_k(n)
    if m <= k:
        return ref_subproof(m, d[:k], b) + [ref_mth(d[k:])]
    return ref_subproof(m - k, d[k:], False) + [ref_mth(d[:k])]


# -- the module as the store uses it: stored perfect subtrees, appended one leaf at a time ----------

class Tree:
    def __init__(self, data: list[bytes]) -> None:
        self.nodes: dict[tuple[int, int], bytes] = {}
        self.frontier: list[bytes] = []
        self.roots = []
        for i, d in enumerate(data):
            self.frontier, new = merkle.append(self.frontier, i, merkle.leaf_hash(d))
            for level, index, h in new:
                assert (level, index) not in self.nodes  # a node is written once, never updated
                self.nodes[(level, index)] = h
            self.roots.append(merkle.root_of_frontier(self.frontier))

    def root(self, size: int) -> bytes:
        return merkle.range_hash(0, size, self.nodes)

    def inclusion(self, index: int, size: int) -> list[bytes]:
        ranges = merkle.inclusion_ranges(index, size)
        assert merkle.needed(ranges) <= set(self.nodes)
        return merkle.path_hashes(ranges, self.nodes)

    def consistency(self, first: int, second: int) -> list[bytes]:
        return merkle.path_hashes(merkle.consistency_ranges(first, second), self.nodes)


def hexes(values: list[bytes]) -> list[str]:
    return [v.hex() for v in values]


# -- published vectors ----------------------------------------------------------------------------

def test_roots_match_the_published_vectors():
    assert merkle.EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    tree = Tree(LEAVES)
    assert [r.hex() for r in tree.roots] == ROOTS
    assert [tree.root(n).hex() for n in range(1, 9)] == ROOTS
    assert merkle.split(2) == 1 and merkle.split(5) == 4 and merkle.split(8) == 4 and merkle.split(9) == 8


@pytest.mark.parametrize("index,size,path", INCLUSION)
def test_inclusion_proofs_match_the_published_vectors(index, size, path):
    tree = Tree(LEAVES)
    assert hexes(tree.inclusion(index, size)) == path
    leaf = merkle.leaf_hash(LEAVES[index])
    assert merkle.verify_inclusion(index, size, leaf, [bytes.fromhex(p) for p in path], bytes.fromhex(ROOTS[size - 1]))


@pytest.mark.parametrize("first,second,proof", CONSISTENCY)
def test_consistency_proofs_match_the_published_vectors(first, second, proof):
    tree = Tree(LEAVES)
    assert hexes(tree.consistency(first, second)) == proof
    assert merkle.verify_consistency(first, second, bytes.fromhex(ROOTS[first - 1]), bytes.fromhex(ROOTS[second - 1]),
                                     [bytes.fromhex(p) for p in proof])


# -- every size, every proof, against the definitions ------------------------------------------------

def data(n: int, salt: int = 0) -> list[bytes]:
    return [f"leaf {salt} {i}".encode() for i in range(n)]


def test_every_proof_of_every_tree_up_to_70_leaves_matches_the_definitions():
    full = data(70)
    tree = Tree(full)
    for n in range(1, len(full) + 1):
        d = full[:n]
        root = ref_mth(d)
        assert tree.roots[n - 1] == root == tree.root(n)
        for m in range(n):
            path = tree.inclusion(m, n)
            assert path == ref_path(m, d)
            assert merkle.verify_inclusion(m, n, merkle.leaf_hash(d[m]), path, root)
        for m in range(1, n + 1):
            proof = tree.consistency(m, n)
            assert proof == ref_subproof(m, d, True)
            assert merkle.verify_consistency(m, n, ref_mth(d[:m]), root, proof)


def flip(value: bytes, bit: int) -> bytes:
    i = (bit // 8) % len(value)
    return value[:i] + bytes([value[i] ^ (1 << (bit % 8))]) + value[i + 1:]


@settings(max_examples=300, deadline=None)
@given(size=st.integers(1, 300), pick=st.integers(0, 10**9), bit=st.integers(0, 255), salt=st.integers(0, 3))
def test_altered_inclusion_proofs_fail(size, pick, bit, salt):
    d = data(size, salt)
    tree = Tree(d)
    index = pick % size
    root, leaf = tree.roots[-1], merkle.leaf_hash(d[index])
    path = tree.inclusion(index, size)
    assert merkle.verify_inclusion(index, size, leaf, path, root)
    assert not merkle.verify_inclusion(index, size, flip(leaf, bit), path, root)
    assert not merkle.verify_inclusion(index, size, leaf, path, flip(root, bit))
    if path:
        j = pick % len(path)
        assert not merkle.verify_inclusion(index, size, leaf, path[:j] + [flip(path[j], bit)] + path[j + 1:], root)
        assert not merkle.verify_inclusion(index, size, leaf, path[:-1], root)  # truncated
        assert not merkle.verify_inclusion(index, size, leaf, path[1:], root)
    assert not merkle.verify_inclusion(index, size, leaf, path + [root], root)  # padded
    for other in {index - 1, index + 1, index ^ 1, size} - {index}:
        if 0 <= other:
            assert not merkle.verify_inclusion(other, size, leaf, path, root)
    # (a path does not bind the tree size by itself -- leaf 0 of 3 and of 4 combine alike -- which is
    # why a checkpoint signs the size together with the root)


@settings(max_examples=300, deadline=None)
@given(second=st.integers(1, 300), pick=st.integers(0, 10**9), bit=st.integers(0, 255), salt=st.integers(0, 3))
def test_altered_consistency_proofs_fail(second, pick, bit, salt):
    d = data(second, salt)
    tree = Tree(d)
    first = pick % second + 1
    r1, r2 = tree.roots[first - 1], tree.roots[-1]
    proof = tree.consistency(first, second)
    assert merkle.verify_consistency(first, second, r1, r2, proof)
    assert not merkle.verify_consistency(first, second, flip(r1, bit), r2, proof)
    assert not merkle.verify_consistency(first, second, r1, flip(r2, bit), proof)
    if proof:
        j = pick % len(proof)
        assert not merkle.verify_consistency(first, second, r1, r2, proof[:j] + [flip(proof[j], bit)] + proof[j + 1:])
        assert not merkle.verify_consistency(first, second, r1, r2, proof[:-1])
    assert not merkle.verify_consistency(first, second, r1, r2, proof + [r2])
    # a rewritten history -- any leaf before `first` changed, every hash recomputed -- is not a prefix
    rewritten = list(d)
    rewritten[pick % first] = b"rewritten"
    other = Tree(rewritten)
    assert not merkle.verify_consistency(first, second, r1, other.roots[-1], other.consistency(first, second))
    if first > 1:  # a truncated log: the old head does not lead to a smaller tree
        assert not merkle.verify_consistency(first, first - 1, r1, tree.roots[first - 2], [])


def test_range_hash_of_unaligned_ranges_is_the_mth_of_the_range():
    d = data(40)
    tree = Tree(d)
    for start in range(40):
        for end in range(start + 1, 41):
            assert merkle.range_hash(start, end, tree.nodes) == ref_mth(d[start:end])


def test_proofs_outside_the_tree_are_refused():
    with pytest.raises(ValueError):
        merkle.inclusion_ranges(5, 5)
    with pytest.raises(ValueError):
        merkle.consistency_ranges(6, 5)
    assert not merkle.verify_inclusion(5, 5, b"x" * 32, [], b"x" * 32)
    assert not merkle.verify_consistency(0, 3, b"x" * 32, b"y" * 32, [])
