// The k-d tree's k-nearest-neighbour descent (SluiceCompute's KDTree), with the distances of
// a leaf's points computed eight (AVX-512) or four (AVX2) at a time, chosen at run time. Each
// distance is the sum over the coordinates in order, a rounded product (or absolute value)
// added to a rounded sum, no fused multiply-add: every lane, every CPU and the scalar path give
// the same bits, and a node's box bound, summed the same way, never exceeds the distance of a
// point inside the box.
#ifndef SLUICE_LEARN_KDTREE_H
#define SLUICE_LEARN_KDTREE_H
#include <stddef.h>
#include <stdint.h>

/// A node: the tree-order range `[start, end)` of its points, its children (`left < 0`: a leaf).
typedef struct {
    ptrdiff_t start, end, left, right;
} sluice_kdnode;

/// A tree: `n` points of `d` coordinates in tree order, column-major (coordinate `j` of point
/// `p` at `columns[j·n + p]`), the original row of each (`order`), the nodes (root first) and
/// their boxes (node `i`'s lower corner at `bounds[2·i·d]`, upper at `bounds[(2·i + 1)·d]`).
typedef struct {
    const double *columns;
    const ptrdiff_t *order;
    const sluice_kdnode *nodes;
    const double *bounds;
    size_t n, d;
} sluice_kdtree;

/// The `k` nearest points to `q` (`d` coordinates) other than original row `exclude` (−1: none),
/// `q` being the tree's point at tree position `self` for a member query (−1 otherwise),
/// by squared Euclidean distance (or Manhattan when `manhattan` is not 0) plus `penalty2` for each
/// of the `ncodes` categorical codes that differs from the member's (`codes[c·rows + row]`, row
/// `member` the query's; NULL when `ncodes` is 0), ordered by (distance, original row): into
/// `best_d` / `best_i` (`k` each, nearest first; `∞` / `PTRDIFF_MAX` where fewer exist). The stack
/// buffers hold `2·depth + 2` entries (depth of the deepest leaf, root at 1).
void sluice_kdtree_nearest(const sluice_kdtree *tree, const double *q, size_t k, ptrdiff_t self, ptrdiff_t exclude,
                           int manhattan,
                           const int32_t *codes, size_t ncodes, size_t rows, ptrdiff_t member, double penalty2,
                           double *best_d, ptrdiff_t *best_i, ptrdiff_t *stack_node, double *stack_bound);

#endif
