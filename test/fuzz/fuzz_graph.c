/*
 * libFuzzer target for the graph core (src/core/graph.c).  The input is read
 * as a small CMDB: byte 0 the number of CIs, then per CI a min_up/down byte,
 * then (source, target, type) byte triples as relations (unknown ids,
 * self-loops and duplicates included on purpose).  Every search runs with
 * depth limits and type filters from the input; the results must stay
 * within the graph and satisfy the basic invariants (start at depth 0, via one
 * step closer, path edges exist, cover counts bounded by the starts).
 */
#include <stdlib.h>
#include <string.h>

#include "core/graph.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAXPTR 4096
static void *ptrs[MAXPTR];
static int	nptrs;

static void *
arena_alloc(void *ctx, size_t size)
{
	void	   *p = calloc(1, size ? size : 1);

	(void) ctx;
	if (!p || nptrs >= MAXPTR)
		abort();
	ptrs[nptrs++] = p;
	return p;
}

static void
arena_release(void *ctx, void *p)
{
	(void) ctx;
	(void) p;					/* freed at the end */
}

static void
arena_reset(void)
{
	while (nptrs > 0)
		free(ptrs[--nptrs]);
}

static int
has_edge(const ImsGraph *g, int32_t s, int32_t t, const uint8_t *ok)
{
	uint32_t	k;

	for (k = g->out_off[s]; k < g->out_off[s + 1]; k++)
		if (g->out_nbr[k] == t && ok[g->out_type[k]])
			return 1;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int64_t		ids[64],
				src[512],
				dst[512];
	int32_t		min_up[64];
	uint8_t		down[64],
				ok[4];
	uint16_t	type[512];
	int32_t		n,
				m = 0,
				i,
				c,
				starts[4],
				path[65],
				comp[64],
				out[64],
				cov[64],
				dep[64];
	uint16_t	ptypes[65];
	size_t		pos;
	ImsGraph   *g;

	if (size < 4)
		return 0;
	n = 1 + data[0] % 64;
	if (size < (size_t) n + 4)
		return 0;
	for (i = 0; i < n; i++)
	{
		ids[i] = (int64_t) (data[0] & 0x80 ? 1000003 * (i + 1) : i * 3 + 7);	/* sparse or dense */
		min_up[i] = data[1 + i] & 3;
		down[i] = (data[1 + i] & 0x10) != 0;
	}
	for (pos = 1 + n; pos + 3 <= size && m < 512; pos += 3)
	{
		src[m] = ids[data[pos] % n] + (data[pos] >= 250);	/* sometimes an unknown id */
		dst[m] = ids[data[pos + 1] % n];
		type[m] = data[pos + 2] % 4;	/* type 3 does not exist: dropped */
		m++;
	}
	g = ims_graph_build(arena_alloc, arena_release, NULL, n, ids, min_up, down, m, src, dst, type, 3);
	if (g == NULL || g->n != n || g->m > (uint32_t) m)
		abort();
	ok[0] = 1;
	ok[1] = data[1] & 1;
	ok[2] = (data[1] >> 1) & 1;
	ok[3] = 0;
	for (i = 0; i < 4; i++)
		starts[i] = data[size - 1 - i] % n;

	for (int impact = 0; impact < 2; impact++)
	{
		int32_t		md = (int32_t) (data[size - 1] % 6) - 1;

		c = impact ? ims_graph_impacted(g, starts, 1 + data[2] % 4, md, ok)
			: ims_graph_dependencies(g, starts, 1 + data[2] % 4, md, ok);
		if (c < 1 || c > n)
			abort();
		for (i = 0; i < c; i++)
		{
			int32_t		v = g->queue[i],
						w = g->visit[v].via;

			if (v < 0 || v >= n || (md >= 0 && g->visit[v].dist > md))
				abort();
			if (g->visit[v].dist == 0 ? w != -1
				: (w < 0 || g->visit[w].dist != g->visit[v].dist - 1 ||
				   !(impact ? has_edge(g, v, w, ok) : has_edge(g, w, v, ok))))
				abort();
		}
	}

	c = ims_graph_path(g, starts[0], starts[1], -1, ok, path, ptypes);
	for (i = 1; i < c; i++)
		if (!has_edge(g, path[i - 1], path[i], ok) || !ok[ptypes[i]])
			abort();
	if (c > 0 && (path[0] != starts[0] || path[c - 1] != starts[1]))
		abort();

	c = ims_graph_cycles(g, ok, comp, arena_alloc, NULL);
	for (i = 0; i < n; i++)
		if (comp[i] < 0 || comp[i] > c)
			abort();

	c = ims_graph_common(g, starts, 4, -1, ok, 1, out, cov, dep, arena_alloc, NULL);
	for (i = 0; i < c; i++)
		if (cov[i] < 1 || cov[i] > 4 || out[i] < 0 || out[i] >= n)
			abort();

	arena_reset();
	return 0;
}
