/*
 * graph.h — the CMDB dependency graph in compressed sparse row form, and the
 * searches ims runs over it (plain C, no PostgreSQL headers).
 *
 * Nodes are CIs, identified by their int64 id and numbered 0..n-1 in id
 * order.  An edge s -> t means "s depends on t" (ims.ci_relation source ->
 * target).  Both directions are stored: out (dependencies of s, sorted by
 * target) and in (dependents of t, sorted by source), each with a 16-bit
 * relation-type number.  Per relation that is 2 x (4 + 2) = 12 bytes.
 *
 * Searches reuse scratch arrays kept with the graph (epoch-marked, so a
 * small search costs what it visits, not the graph's size).  A graph is
 * therefore not safe for concurrent searches; PostgreSQL backends are single
 * threaded, so each backend owns its copy.
 */
#ifndef IMS_CORE_GRAPH_H
#define IMS_CORE_GRAPH_H

#include <stddef.h>
#include <stdint.h>

/* Allocator used for everything a graph owns: returns zeroed memory or never returns. */
typedef void *(*ims_graph_alloc_fn) (void *ctx, size_t size);
typedef void (*ims_graph_free_fn) (void *ctx, void *ptr);

/* Called every few thousand steps of a search (PostgreSQL: CHECK_FOR_INTERRUPTS). */
extern void (*ims_graph_interrupt_hook) (void);

/* What a search found out about a node: its depth and the node one step closer. */
typedef struct ImsVisit
{
	int32_t		dist;
	int32_t		via;			/* -1 for a start node */
} ImsVisit;

typedef struct ImsGraph
{
	int32_t		n;				/* nodes */
	uint32_t	m;				/* edges (after removing duplicates and self-loops) */
	int			ntypes;			/* relation types numbered 0..ntypes-1 */

	int64_t    *ids;			/* n, ascending */
	int32_t    *min_up;			/* n, 0 = no redundancy rule */
	uint8_t    *down;			/* n, 1 = status says the CI is down */
	uint64_t   *redundant;		/* n bits: min_up > 0 (a bitmap stays in the CPU cache) */

	/* id -> node: direct table when ids are dense, else binary search */
	int64_t		id_base;
	uint64_t	id_span;
	int32_t    *id_index;		/* id_span entries or NULL; -1 = no such id */

	uint32_t   *out_off;		/* n + 1 */
	int32_t    *out_nbr;		/* m: targets (dependencies) */
	uint16_t   *out_type;		/* m */
	uint32_t   *in_off;			/* n + 1 */
	int32_t    *in_nbr;			/* m: sources (dependents) */
	uint16_t   *in_type;		/* m */
	uint8_t    *type_used;		/* ntypes: 1 = some edge has this type */

	/* search scratch, n entries each (seen: n bits) */
	uint64_t   *seen;			/* visited by the current search */
	int32_t		prev_found;		/* queue entries whose seen bits are set */
	uint32_t	epoch;
	uint32_t   *cmark;			/* cnt[v] valid when cmark[v] == epoch */
	ImsVisit   *visit;			/* valid for the nodes in the queue */
	int32_t    *queue;			/* visiting order; the first `found` are the result */
	int32_t    *cnt;			/* min_up: dependencies still up */

	size_t		bytes;			/* everything above */
	size_t		edge_bytes;		/* the adjacency arrays alone */
} ImsGraph;

/*
 * Build a graph.  Nodes: ids (any order; duplicates keep the first),
 * min_up (may be NULL) and down (may be NULL).  Edges: src/dst ids and type
 * numbers < ntypes; edges naming an unknown id, self-loops and exact
 * duplicates are dropped.  Returns NULL when n or m exceeds the 32-bit
 * limits.  The input arrays are not kept; temporaries are released with
 * release (which may be NULL).
 */
ImsGraph   *ims_graph_build(ims_graph_alloc_fn alloc, ims_graph_free_fn release, void *ctx,
							int64_t n, const int64_t *ids, const int32_t *min_up, const uint8_t *down,
							int64_t m, const int64_t *src, const int64_t *dst, const uint16_t *type,
							int ntypes);

/* Node number of a CI id, or -1. */
int32_t		ims_graph_node(const ImsGraph *g, int64_t id);

/*
 * Breadth-first search.  starts: node numbers (duplicates allowed);
 * max_depth < 0: unlimited; type_ok[ntypes]: which relation types to follow.
 * ims_graph_impacted walks to dependents and applies min_up (a node with
 * min_up = k is reached only when fewer than k of its dependencies over
 * followed types are up; a dependency is down when it is reached or its down
 * flag is set); ims_graph_dependencies walks to dependencies.  Both return
 * the number of nodes found: g->queue[0..count) in visiting order (by
 * depth), with g->visit[v].dist and g->visit[v].via.
 */
int32_t		ims_graph_impacted(ImsGraph *g, const int32_t *starts, int32_t nstarts,
							   int32_t max_depth, const uint8_t *type_ok);
int32_t		ims_graph_dependencies(ImsGraph *g, const int32_t *starts, int32_t nstarts,
								   int32_t max_depth, const uint8_t *type_ok);

/*
 * Shortest dependency chain from -> to (following source -> target edges).
 * Writes up to max_len + 1 nodes to path (path[0] = from) and, for steps
 * i >= 1, the relation type used into types[i] (the lowest type number when
 * several join the same pair).  Returns the number of nodes on the path, or 0
 * when there is none within max_depth (< 0: unlimited).
 */
int32_t		ims_graph_path(ImsGraph *g, int32_t from, int32_t to, int32_t max_depth,
						   const uint8_t *type_ok, int32_t *path, uint16_t *types);

/*
 * Strongly connected components with more than one node over followed edges
 * (iterative Tarjan; no recursion).  comp[v] = component number 1.. or 0;
 * components are numbered in order of their smallest node.  Returns the
 * number of components.  Scratch memory comes from alloc.
 */
int32_t		ims_graph_cycles(ImsGraph *g, const uint8_t *type_ok, int32_t *comp,
							 ims_graph_alloc_fn alloc, void *ctx);

/*
 * Upstream CIs shared by several start nodes: for each distinct start, a
 * dependency search (max_depth, type_ok); a node covers the starts whose
 * search reached it (a start reaches itself at depth 0).  Writes nodes with
 * cover >= min_covers to out (capacity n), ranked by cover descending, then
 * depth (the farthest of its covered starts) ascending, then id; returns how
 * many.  cover_out/depth_out receive the figures; accumulation arrays (9 bytes
 * per node) and a sort buffer come from alloc.
 */
int32_t		ims_graph_common(ImsGraph *g, const int32_t *starts, int32_t nstarts,
							 int32_t max_depth, const uint8_t *type_ok, int32_t min_covers,
							 int32_t *out, int32_t *cover_out, int32_t *depth_out,
							 ims_graph_alloc_fn alloc, void *ctx);

#endif							/* IMS_CORE_GRAPH_H */
