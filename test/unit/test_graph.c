/*
 * test_graph.c — unit tests of src/core/graph.c: CSR build, impacted with
 * min_up, dependencies, shortest path, cycles (iterative Tarjan), common
 * dependencies; random graphs checked against naive level-by-level
 * references.
 */
#include <stdlib.h>

#include "core/graph.h"
#include "unit.h"

static void *
test_alloc(void *ctx, size_t size)
{
	void	   *p = calloc(1, size ? size : 1);

	(void) ctx;
	if (!p)
		abort();
	return p;
}

static void
test_free(void *ctx, void *p)
{
	(void) ctx;
	free(p);
}

static uint8_t all_types[4] = {1, 1, 1, 1};

/* web shop: ids 1 lb, 2 web1, 3 web2, 4 pool(min_up 1), 5 app, 6 db, 7 storage, 8 shop */
static ImsGraph *
web_shop(void)
{
	int64_t		ids[] = {8, 1, 2, 3, 4, 5, 6, 7};
	int32_t		mu[] = {0, 0, 0, 0, 1, 0, 0, 0};
	/* source depends on target */
	int64_t		src[] = {8, 1, 4, 4, 2, 3, 5, 6, 2, 8};
	int64_t		dst[] = {1, 4, 2, 3, 5, 5, 6, 7, 5, 1};
	uint16_t	typ[] = {0, 0, 0, 0, 1, 1, 0, 2, 1, 0};

	return ims_graph_build(test_alloc, test_free, NULL, 8, ids, mu, NULL, 10, src, dst, typ, 3);
}

static int
find(const ImsGraph *g, int32_t count, int64_t id, int32_t *depth, int64_t *via)
{
	int32_t		i;

	for (i = 0; i < count; i++)
	{
		int32_t		v = g->queue[i];

		if (g->ids[v] == id)
		{
			*depth = g->visit[v].dist;
			*via = g->visit[v].via < 0 ? -1 : g->ids[g->visit[v].via];
			return 1;
		}
	}
	return 0;
}

static void
test_web_shop(void)
{
	ImsGraph   *g = web_shop();
	int32_t		s,
				c,
				d;
	int64_t		via;
	int32_t		path[16];
	uint16_t	types[16];

	CHECK(g != NULL, "web shop builds");
	CHECK_INT(g->n, 8, "8 nodes");
	CHECK_INT(g->m, 8, "duplicate relations dropped: 8 edges");
	CHECK_INT(ims_graph_node(g, 5), 4, "id 5 is node 4");
	CHECK_INT(ims_graph_node(g, 99), -1, "unknown id");

	s = ims_graph_node(g, 7);
	c = ims_graph_impacted(g, &s, 1, -1, all_types);
	CHECK_INT(c, 8, "storage failure impacts everything");
	CHECK(find(g, c, 7, &d, &via) && d == 0 && via == -1, "start at depth 0, no via");
	CHECK(find(g, c, 8, &d, &via) && d == 6 && via == 1, "shop at depth 6 via lb");
	CHECK(find(g, c, 4, &d, &via) && d == 4, "pool impacted when both members are");

	s = ims_graph_node(g, 2);
	c = ims_graph_impacted(g, &s, 1, -1, all_types);
	CHECK_INT(c, 1, "one web server down impacts nothing else (min_up 1)");
	{
		int32_t		both[2] = {ims_graph_node(g, 2), ims_graph_node(g, 3)};

		c = ims_graph_impacted(g, both, 2, -1, all_types);
		CHECK_INT(c, 5, "both web servers down: pool, lb, shop impacted");
		CHECK(find(g, c, 4, &d, &via) && d == 1, "pool at depth 1");
	}
	g->down[ims_graph_node(g, 3)] = 1;
	s = ims_graph_node(g, 2);
	c = ims_graph_impacted(g, &s, 1, -1, all_types);
	CHECK_INT(c, 4, "web2 already down by status: web1 failure impacts the pool");
	g->down[ims_graph_node(g, 3)] = 0;

	s = ims_graph_node(g, 6);
	c = ims_graph_impacted(g, &s, 1, 2, all_types);
	CHECK_INT(c, 4, "max_depth 2 from db: db, app, web1, web2");
	c = ims_graph_impacted(g, &s, 1, 0, all_types);
	CHECK_INT(c, 1, "max_depth 0: the start only");
	{
		uint8_t		no_runs[3] = {1, 0, 1};

		c = ims_graph_impacted(g, &s, 1, -1, no_runs);
		CHECK_INT(c, 2, "type filter: without type 1 the web servers are not reached");
	}

	s = ims_graph_node(g, 8);
	c = ims_graph_dependencies(g, &s, 1, -1, all_types);
	CHECK_INT(c, 8, "shop depends on everything");
	CHECK(find(g, c, 7, &d, &via) && d == 6 && via == 6, "storage at depth 6 via db");
	CHECK(find(g, c, 5, &d, &via) && d == 4, "app at depth 4");

	c = ims_graph_path(g, ims_graph_node(g, 8), ims_graph_node(g, 7), -1, all_types, path, types);
	CHECK_INT(c, 7, "path shop -> storage has 7 nodes");
	CHECK_INT(g->ids[path[0]], 8, "path starts at shop");
	CHECK_INT(g->ids[path[6]], 7, "path ends at storage");
	CHECK_INT(types[6], 2, "last step uses type 2");
	c = ims_graph_path(g, ims_graph_node(g, 7), ims_graph_node(g, 8), -1, all_types, path, types);
	CHECK_INT(c, 0, "no path upwards");
	c = ims_graph_path(g, ims_graph_node(g, 8), ims_graph_node(g, 7), 3, all_types, path, types);
	CHECK_INT(c, 0, "no path within 3 steps");
	c = ims_graph_path(g, ims_graph_node(g, 5), ims_graph_node(g, 5), -1, all_types, path, types);
	CHECK_INT(c, 1, "path to itself has one node");

	{
		int32_t		comp[8];

		CHECK_INT(ims_graph_cycles(g, all_types, comp, test_alloc, NULL), 0, "the web shop has no cycles");
	}
	{
		int32_t		st[3] = {ims_graph_node(g, 2), ims_graph_node(g, 3), ims_graph_node(g, 2)};
		int32_t		out[8],
					cov[8],
					dep[8];

		c = ims_graph_common(g, st, 3, -1, all_types, 2, out, cov, dep, test_alloc, NULL);
		CHECK_INT(c, 3, "web1 and web2 share app, db, storage");
		CHECK_INT(g->ids[out[0]], 5, "app ranks first (nearest)");
		CHECK_INT(cov[0], 2, "covers both");
		CHECK_INT(dep[2], 3, "storage is 3 away");
	}
}

static void
test_cycles(void)
{
	/* 1->2->3->1, 3->4, 4->5->4, 6 alone, 7->7 (self loop dropped) */
	int64_t		ids[] = {1, 2, 3, 4, 5, 6, 7};
	int64_t		src[] = {1, 2, 3, 3, 4, 5, 7};
	int64_t		dst[] = {2, 3, 1, 4, 5, 4, 7};
	uint16_t	typ[] = {0, 0, 0, 0, 0, 1, 0};
	ImsGraph   *g = ims_graph_build(test_alloc, test_free, NULL, 7, ids, NULL, NULL, 7, src, dst, typ, 2);
	int32_t		comp[7];
	uint8_t		only0[2] = {1, 0};
	int32_t		s,
				c;

	CHECK_INT(g->m, 6, "self-loop dropped");
	CHECK_INT(ims_graph_cycles(g, all_types, comp, test_alloc, NULL), 2, "two cycles");
	CHECK(comp[0] == 1 && comp[1] == 1 && comp[2] == 1, "1,2,3 form cycle 1");
	CHECK(comp[3] == 2 && comp[4] == 2, "4,5 form cycle 2");
	CHECK(comp[5] == 0 && comp[6] == 0, "6 and 7 are in no cycle");
	CHECK_INT(ims_graph_cycles(g, only0, comp, test_alloc, NULL), 1, "type filter breaks the 4-5 cycle");
	s = 0;
	c = ims_graph_dependencies(g, &s, 1, -1, all_types);
	CHECK_INT(c, 5, "cycle terminates: 1 reaches 1..5");
	c = ims_graph_impacted(g, &s, 1, -1, all_types);
	CHECK_INT(c, 3, "impacted through a cycle: 1, 3, 2");
}

static void
test_long_chain(void)
{
	/* a chain of 200000 nodes: the iterative Tarjan must not recurse */
	int32_t		n = 200000,
				i;
	int64_t    *ids = test_alloc(NULL, sizeof(int64_t) * n);
	int64_t    *src = test_alloc(NULL, sizeof(int64_t) * n);
	int64_t    *dst = test_alloc(NULL, sizeof(int64_t) * n);
	uint16_t   *typ = test_alloc(NULL, sizeof(uint16_t) * n);
	int32_t    *comp = test_alloc(NULL, sizeof(int32_t) * n);
	ImsGraph   *g;
	int32_t		s = 0;

	for (i = 0; i < n; i++)
	{
		ids[i] = 1000000 + (int64_t) i * 7;	/* sparse ids: binary search path */
		src[i] = ids[i];
		dst[i] = 1000000 + (int64_t) ((i + 1) % n) * 7;
	}
	g = ims_graph_build(test_alloc, test_free, NULL, n, ids, NULL, NULL, n, src, dst, typ, 1);
	CHECK(g->id_index == NULL || g->id_index != NULL, "sparse ids build");
	CHECK_INT(ims_graph_cycles(g, all_types, comp, test_alloc, NULL), 1, "one big cycle of 200000");
	CHECK_INT(ims_graph_dependencies(g, &s, 1, -1, all_types), n, "whole ring reached");
	CHECK_INT(g->visit[n - 1].dist, n - 1, "last at depth n-1");
	CHECK(g->edge_bytes / g->m == 12, "12 bytes of adjacency per relation");
	{
		/* a CMDB-like density: 4 relations per CI */
		int64_t    *s4 = test_alloc(NULL, sizeof(int64_t) * n * 4);
		int64_t    *d4 = test_alloc(NULL, sizeof(int64_t) * n * 4);
		uint16_t   *t4 = test_alloc(NULL, sizeof(uint16_t) * n * 4);
		ImsGraph   *g4;

		for (i = 0; i < n * 4; i++)
		{
			s4[i] = ids[i / 4];
			d4[i] = ids[(i / 4 + 1 + (i % 4) * 17) % n];
		}
		g4 = ims_graph_build(test_alloc, test_free, NULL, n, ids, NULL, NULL, (int64_t) n * 4, s4, d4, t4, 1);
		CHECK_INT(g4->m, n * 4, "4 relations per CI kept");
		CHECK(g4->bytes / g4->m < 32, "under 32 bytes per relation in all");
	}
}

/* naive level-by-level reference of impacted (with min_up) and dependencies */
static void
reference(const ImsGraph *g, const int32_t *starts, int ns, int max_depth,
		  const uint8_t *tok, int impact, int32_t *depth)
{
	int32_t		v,
				L;
	uint32_t	k;

	for (v = 0; v < g->n; v++)
		depth[v] = -1;
	for (v = 0; v < ns; v++)
		depth[starts[v]] = 0;
	for (L = 0; max_depth < 0 || L < max_depth; L++)
	{
		int			changed = 0;
		int32_t    *nd = test_alloc(NULL, sizeof(int32_t) * g->n);

		for (v = 0; v < g->n; v++)
			nd[v] = depth[v];
		for (v = 0; v < g->n; v++)
		{
			int			any = 0,
						up = 0;

			if (depth[v] >= 0)
				continue;
			if (impact)
			{
				int32_t		last = -1;

				for (k = g->out_off[v]; k < g->out_off[v + 1]; k++)
				{
					int32_t		t = g->out_nbr[k];

					if (!tok[g->out_type[k]] || t == last)
						continue;
					last = t;
					if (depth[t] >= 0 && depth[t] <= L)
						any = 1;
					else if (!g->down[t])
						up++;
				}
				if (any && (g->min_up[v] == 0 || up < g->min_up[v]))
					nd[v] = L + 1;
			}
			else
			{
				for (k = g->in_off[v]; k < g->in_off[v + 1]; k++)
					if (tok[g->in_type[k]] && depth[g->in_nbr[k]] >= 0 && depth[g->in_nbr[k]] <= L)
						any = 1;
				if (any)
					nd[v] = L + 1;
			}
			if (nd[v] >= 0)
				changed = 1;
		}
		for (v = 0; v < g->n; v++)
			depth[v] = nd[v];
		free(nd);
		if (!changed)
			break;
	}
}

static int
has_edge(const ImsGraph *g, int32_t s, int32_t t, const uint8_t *tok)
{
	uint32_t	k;

	for (k = g->out_off[s]; k < g->out_off[s + 1]; k++)
		if (g->out_nbr[k] == t && tok[g->out_type[k]])
			return 1;
	return 0;
}

static void
test_random(void)
{
	int			round,
				bad_depth = 0,
				bad_via = 0,
				bad_count = 0,
				checks = 0;

	srand(12345);
	for (round = 0; round < 300; round++)
	{
		int32_t		n = 5 + rand() % 60,
					m = rand() % (n * 4),
					i;
		int64_t    *ids = test_alloc(NULL, sizeof(int64_t) * n);
		int32_t    *mu = test_alloc(NULL, sizeof(int32_t) * n);
		uint8_t    *dn = test_alloc(NULL, n);
		int64_t    *src = test_alloc(NULL, sizeof(int64_t) * (m + 1));
		int64_t    *dst = test_alloc(NULL, sizeof(int64_t) * (m + 1));
		uint16_t   *typ = test_alloc(NULL, sizeof(uint16_t) * (m + 1));
		int32_t    *ref = test_alloc(NULL, sizeof(int32_t) * n);
		ImsGraph   *g;
		int			q;

		for (i = 0; i < n; i++)
		{
			ids[i] = (int64_t) (n - i) * 3;	/* unsorted input */
			mu[i] = rand() % 4 == 0 ? 1 + rand() % 3 : 0;
			dn[i] = rand() % 10 == 0;
		}
		for (i = 0; i < m; i++)
		{
			src[i] = ids[rand() % n];
			dst[i] = ids[rand() % n];
			typ[i] = rand() % 3;
		}
		g = ims_graph_build(test_alloc, test_free, NULL, n, ids, mu, dn, m, src, dst, typ, 3);
		for (q = 0; q < 6; q++)
		{
			int32_t		starts[5],
						ns = 1 + rand() % 5,
						md = rand() % 3 == 0 ? -1 : rand() % 5,
						c,
						j,
						expect = 0;
			uint8_t		tok[3] = {1, (uint8_t) (rand() % 2), 1};
			int			impact = q % 2;

			for (j = 0; j < ns; j++)
				starts[j] = rand() % n;
			c = impact ? ims_graph_impacted(g, starts, ns, md, tok)
				: ims_graph_dependencies(g, starts, ns, md, tok);
			reference(g, starts, ns, md, tok, impact, ref);
			for (j = 0; j < n; j++)
				if (ref[j] >= 0)
					expect++;
			if (c != expect)
				bad_count++;
			for (j = 0; j < c; j++)
			{
				int32_t		v = g->queue[j],
							w = g->visit[v].via;

				if (ref[v] != g->visit[v].dist)
					bad_depth++;
				if (g->visit[v].dist == 0 ? w != -1
					: (w < 0 || g->visit[w].dist != g->visit[v].dist - 1 ||
					   !(impact ? has_edge(g, v, w, tok) : has_edge(g, w, v, tok))))
					bad_via++;
			}
			checks++;
		}
	}
	CHECK_INT(bad_count, 0, "random graphs: result sizes match the reference");
	CHECK_INT(bad_depth, 0, "random graphs: depths match the reference");
	CHECK_INT(bad_via, 0, "random graphs: every via is a neighbour one step closer");
	CHECK_INT(checks, 1800, "1800 random searches");
}

static void
test_empty(void)
{
	ImsGraph   *g = ims_graph_build(test_alloc, test_free, NULL, 0, NULL, NULL, NULL, 0, NULL, NULL, NULL, 0);
	int32_t		s = 0;

	CHECK(g != NULL && g->n == 0 && g->m == 0, "empty graph builds");
	CHECK_INT(ims_graph_node(g, 1), -1, "no nodes");
	CHECK_INT(ims_graph_impacted(g, &s, 1, -1, all_types), 0, "out-of-range start ignored");
}

int
main(void)
{
	test_web_shop();
	test_cycles();
	test_long_chain();
	test_random();
	test_empty();
	return unit_done();
}
