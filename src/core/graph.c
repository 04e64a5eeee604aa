/*
 * graph.c — CSR dependency graph and its searches (see graph.h).
 *
 * Build: nodes sorted by id; edges mapped to node numbers, then two counting
 * sorts (by target, then stably by source) give the out lists sorted by
 * target; scanning those in source order fills the in lists sorted by
 * source.  Searches are breadth-first, level by level, with a visited
 * bitmap cleared through the previous search's queue, so
 * their cost is proportional to what they visit.
 */
#include "core/graph.h"

#include <stdlib.h>
#include <string.h>

void		(*ims_graph_interrupt_hook) (void) = NULL;

#define POLL_EVERY 4096
#define POLL(counter) \
	do { if (((++(counter)) & (POLL_EVERY - 1)) == 0 && ims_graph_interrupt_hook) \
			ims_graph_interrupt_hook(); } while (0)

/* ---------------------------------------------------------------------- */
/* build */

typedef struct IdPos
{
	int64_t		id;
	int64_t		pos;
} IdPos;

static int
cmp_idpos(const void *a, const void *b)
{
	const IdPos *x = a,
			   *y = b;

	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return x->pos < y->pos ? -1 : (x->pos > y->pos);
}

int32_t
ims_graph_node(const ImsGraph *g, int64_t id)
{
	if (g->id_index)
	{
		uint64_t	off;

		if (id < g->id_base)
			return -1;
		off = (uint64_t) id - (uint64_t) g->id_base;
		if (off >= g->id_span)
			return -1;
		return g->id_index[off];
	}
	else
	{
		int64_t		lo = 0,
					hi = (int64_t) g->n - 1;

		while (lo <= hi)
		{
			int64_t		mid = lo + (hi - lo) / 2;

			if (g->ids[mid] == id)
				return (int32_t) mid;
			if (g->ids[mid] < id)
				lo = mid + 1;
			else
				hi = mid - 1;
		}
		return -1;
	}
}

ImsGraph *
ims_graph_build(ims_graph_alloc_fn alloc, ims_graph_free_fn release, void *ctx,
				int64_t n_in, const int64_t *ids, const int32_t *min_up, const uint8_t *down,
				int64_t m_in, const int64_t *src, const int64_t *dst, const uint16_t *type,
				int ntypes)
{
	ImsGraph   *g;
	int32_t		n = 0;
	uint32_t	m = 0;
	int64_t		i;
	int			sorted = 1;
	int32_t    *es,
			   *ed;
	uint16_t   *et;
	uint32_t   *order,
			   *tmp,
			   *cnt;
	size_t		nn;
	unsigned	poll = 0;

	if (n_in < 0 || n_in > INT32_MAX - 2 || m_in < 0 || m_in > (int64_t) UINT32_MAX - 2)
		return NULL;

	g = alloc(ctx, sizeof(ImsGraph));
	g->ntypes = ntypes;

	/* nodes, sorted by id, duplicates dropped */
	for (i = 1; i < n_in; i++)
		if (ids[i - 1] >= ids[i])
			sorted = 0;
	g->ids = alloc(ctx, sizeof(int64_t) * (size_t) (n_in > 0 ? n_in : 1));
	g->min_up = alloc(ctx, sizeof(int32_t) * (size_t) (n_in > 0 ? n_in : 1));
	g->down = alloc(ctx, (size_t) (n_in > 0 ? n_in : 1));
	if (sorted)
	{
		for (i = 0; i < n_in; i++)
		{
			g->ids[i] = ids[i];
			g->min_up[i] = min_up && min_up[i] > 0 ? min_up[i] : 0;
			g->down[i] = down ? (down[i] != 0) : 0;
		}
		n = (int32_t) n_in;
	}
	else
	{
		IdPos	   *ip = alloc(ctx, sizeof(IdPos) * (size_t) n_in);

		for (i = 0; i < n_in; i++)
		{
			ip[i].id = ids[i];
			ip[i].pos = i;
		}
		qsort(ip, (size_t) n_in, sizeof(IdPos), cmp_idpos);
		for (i = 0; i < n_in; i++)
		{
			if (n > 0 && g->ids[n - 1] == ip[i].id)
				continue;
			g->ids[n] = ip[i].id;
			g->min_up[n] = min_up && min_up[ip[i].pos] > 0 ? min_up[ip[i].pos] : 0;
			g->down[n] = down ? (down[ip[i].pos] != 0) : 0;
			n++;
		}
		if (release)
			release(ctx, ip);
	}
	g->n = n;
	nn = (size_t) n + 1;
	g->redundant = alloc(ctx, sizeof(uint64_t) * (nn / 64 + 1));
	for (i = 0; i < n; i++)
		if (g->min_up[i] > 0)
			g->redundant[i >> 6] |= (uint64_t) 1 << (i & 63);

	/* dense id table when it costs at most about 4 bytes per CI more */
	if (n > 0 && (uint64_t) (g->ids[n - 1] - g->ids[0]) < (uint64_t) n * 4 + 1024)
	{
		g->id_base = g->ids[0];
		g->id_span = (uint64_t) (g->ids[n - 1] - g->ids[0]) + 1;
		g->id_index = alloc(ctx, sizeof(int32_t) * g->id_span);
		memset(g->id_index, 0xff, sizeof(int32_t) * g->id_span);
		for (i = 0; i < n; i++)
			g->id_index[g->ids[i] - g->id_base] = (int32_t) i;
	}

	/* edges to node numbers */
	es = alloc(ctx, sizeof(int32_t) * (size_t) (m_in > 0 ? m_in : 1));
	ed = alloc(ctx, sizeof(int32_t) * (size_t) (m_in > 0 ? m_in : 1));
	et = alloc(ctx, sizeof(uint16_t) * (size_t) (m_in > 0 ? m_in : 1));
	for (i = 0; i < m_in; i++)
	{
		int32_t		s = ims_graph_node(g, src[i]);
		int32_t		d = ims_graph_node(g, dst[i]);

		POLL(poll);
		if (s < 0 || d < 0 || s == d || type[i] >= ntypes)
			continue;
		es[m] = s;
		ed[m] = d;
		et[m] = type[i];
		m++;
	}

	/* counting sort by target, then stably by source */
	order = alloc(ctx, sizeof(uint32_t) * (size_t) (m > 0 ? m : 1));
	tmp = alloc(ctx, sizeof(uint32_t) * (size_t) (m > 0 ? m : 1));
	cnt = alloc(ctx, sizeof(uint32_t) * (nn + 1));
	for (i = 0; i < m; i++)
		cnt[ed[i] + 1]++;
	for (i = 0; i < n; i++)
		cnt[i + 1] += cnt[i];
	for (i = 0; i < m; i++)
		tmp[cnt[ed[i]]++] = (uint32_t) i;
	memset(cnt, 0, sizeof(uint32_t) * (nn + 1));
	for (i = 0; i < m; i++)
		cnt[es[i] + 1]++;
	for (i = 0; i < n; i++)
		cnt[i + 1] += cnt[i];
	for (i = 0; i < m; i++)
	{
		uint32_t	e = tmp[i];

		order[cnt[es[e]]++] = e;
	}

	/* out lists, dropping exact duplicates (same source, target, type) */
	g->out_off = alloc(ctx, sizeof(uint32_t) * nn);
	g->out_nbr = alloc(ctx, sizeof(int32_t) * (size_t) (m > 0 ? m : 1));
	g->out_type = alloc(ctx, sizeof(uint16_t) * (size_t) (m > 0 ? m : 1));
	{
		uint32_t	k = 0,
					j = 0;
		int32_t		v;

		for (v = 0; v < n; v++)
		{
			uint32_t	start = k;

			g->out_off[v] = k;
			while (j < m && es[order[j]] == v)
			{
				uint32_t	e = order[j++];
				uint32_t	q;
				int			dup = 0;

				/* duplicates share the target, so they are in the current run */
				for (q = k; q > start && g->out_nbr[q - 1] == ed[e]; q--)
					if (g->out_type[q - 1] == et[e])
					{
						dup = 1;
						break;
					}
				if (dup)
					continue;
				g->out_nbr[k] = ed[e];
				g->out_type[k] = et[e];
				k++;
			}
		}
		g->out_off[n] = k;
		m = k;
	}
	g->m = m;
	g->type_used = alloc(ctx, (size_t) ntypes + 1);
	for (i = 0; i < m; i++)
		g->type_used[g->out_type[i]] = 1;

	/* in lists: scan out lists in source order, bucket by target */
	g->in_off = alloc(ctx, sizeof(uint32_t) * nn);
	g->in_nbr = alloc(ctx, sizeof(int32_t) * (size_t) (m > 0 ? m : 1));
	g->in_type = alloc(ctx, sizeof(uint16_t) * (size_t) (m > 0 ? m : 1));
	memset(cnt, 0, sizeof(uint32_t) * (nn + 1));
	for (i = 0; i < m; i++)
		cnt[g->out_nbr[i] + 1]++;
	for (i = 0; i < n; i++)
		cnt[i + 1] += cnt[i];
	for (i = 0; i <= n; i++)
		g->in_off[i] = cnt[i];
	{
		int32_t		v;

		for (v = 0; v < n; v++)
		{
			uint32_t	k;

			for (k = g->out_off[v]; k < g->out_off[v + 1]; k++)
			{
				uint32_t	pos = cnt[g->out_nbr[k]]++;

				g->in_nbr[pos] = v;
				g->in_type[pos] = g->out_type[k];
			}
		}
	}

	if (release)
	{
		release(ctx, es);
		release(ctx, ed);
		release(ctx, et);
		release(ctx, order);
		release(ctx, tmp);
		release(ctx, cnt);
	}

	/* scratch */
	g->epoch = 0;
	g->prev_found = 0;
	g->seen = alloc(ctx, sizeof(uint64_t) * (nn / 64 + 1));
	g->cmark = alloc(ctx, sizeof(uint32_t) * nn);
	g->visit = alloc(ctx, sizeof(ImsVisit) * nn);
	g->queue = alloc(ctx, sizeof(int32_t) * nn);
	g->cnt = alloc(ctx, sizeof(int32_t) * nn);

	g->edge_bytes = (size_t) m * 2 * (sizeof(int32_t) + sizeof(uint16_t));
	g->bytes = sizeof(ImsGraph) + g->edge_bytes
		+ (size_t) n * (sizeof(int64_t) + sizeof(int32_t) + 1)
		+ nn * 2 * sizeof(uint32_t)
		+ (g->id_index ? g->id_span * sizeof(int32_t) : 0)
		+ 2 * (nn / 64 + 1) * sizeof(uint64_t) + (size_t) ntypes + 1
		+ nn * (sizeof(uint32_t) + sizeof(ImsVisit) + 2 * sizeof(int32_t));
	return g;
}

/* ---------------------------------------------------------------------- */
/* searches */

#define SEEN(g, v)		(((g)->seen[(v) >> 6] >> ((v) & 63)) & 1)
#define SET_SEEN(g, v)	((g)->seen[(v) >> 6] |= (uint64_t) 1 << ((v) & 63))

/*
 * Start a search: clear the visited bits the previous search set (its nodes
 * are still in the queue), so the cost is what was visited, and the bitmap
 * (n bits) stays small enough for the CPU cache.  cmark/cnt use an epoch.
 */
static uint32_t
begin_search(ImsGraph *g)
{
	int32_t		i;

	for (i = 0; i < g->prev_found; i++)
		g->seen[g->queue[i] >> 6] = 0;
	g->prev_found = 0;
	if (++g->epoch == 0)
	{
		memset(g->cmark, 0, sizeof(uint32_t) * ((size_t) g->n + 1));
		g->epoch = 1;
	}
	return g->epoch;
}

static int32_t
seed(ImsGraph *g, const int32_t *starts, int32_t nstarts)
{
	int32_t		tail = 0,
				i;

	for (i = 0; i < nstarts; i++)
	{
		int32_t		s = starts[i];

		if (s < 0 || s >= g->n || SEEN(g, s))
			continue;
		SET_SEEN(g, s);
		g->visit[s].dist = 0;
		g->visit[s].via = -1;
		g->queue[tail++] = s;
	}
	g->prev_found = tail;
	return tail;
}

/*
 * Dependencies of w over followed types that are still up, counting each
 * target once: not flagged down (reached ones are subtracted as they are
 * reached).
 */
static int32_t
count_up(const ImsGraph *g, int32_t w, const uint8_t *type_ok)
{
	uint32_t	k;
	int32_t		last = -1,
				up = 0;

	for (k = g->out_off[w]; k < g->out_off[w + 1]; k++)
	{
		int32_t		t = g->out_nbr[k];

		if (t == last || !type_ok[g->out_type[k]])
			continue;
		last = t;
		if (!g->down[t])
			up++;
	}
	return up;
}

/* Whether type_ok follows every relation type in use (the type array need not be read). */
static int
all_types(const ImsGraph *g, const uint8_t *type_ok)
{
	int			t;

	for (t = 0; t < g->ntypes; t++)
		if (g->type_used[t] && !type_ok[t])
			return 0;
	return 1;
}

/*
 * Prefetching for the breadth-first loops: the queue tells which nodes come
 * next, and each costs two dependent cache misses (its offset, then the
 * start of its neighbour list), so both are requested some nodes ahead.
 */
#if defined(__GNUC__) || defined(__clang__)
#define PREFETCH(p) __builtin_prefetch(p)
#else
#define PREFETCH(p) ((void) 0)
#endif
#define AHEAD_OFF 16
#define AHEAD_NBR 8

int32_t
ims_graph_impacted(ImsGraph *g, const int32_t *starts, int32_t nstarts,
				   int32_t max_depth, const uint8_t *type_ok)
{
	uint32_t	ep = begin_search(g);
	int32_t		head = 0,
				tail = seed(g, starts, nstarts),
				level = 0;
	unsigned	poll = 0;
	const uint32_t *in_off = g->in_off;
	const int32_t *in_nbr = g->in_nbr;
	const uint16_t *in_type = g->in_type;
	const uint64_t *redundant = g->redundant;
	uint64_t   *seen = g->seen;
	ImsVisit   *visit = g->visit;
	int32_t    *queue = g->queue;
	int			all = all_types(g, type_ok);

	/* level by level: the depth of the nodes being expanded is `level` */
	while (head < tail && (max_depth < 0 || level < max_depth))
	{
		int32_t		level_end = tail;

		for (; head < level_end; head++)
		{
			int32_t		u = queue[head];
			int32_t		last = -1;
			uint32_t	k,
						kend;

			if (head + AHEAD_OFF < tail)
				PREFETCH(&in_off[queue[head + AHEAD_OFF]]);
			if (head + AHEAD_NBR < tail)
			{
				uint32_t	ahead = in_off[queue[head + AHEAD_NBR]];

				PREFETCH(&in_nbr[ahead]);
				if (!all)
					PREFETCH(&in_type[ahead]);
			}
			kend = in_off[u + 1];
			for (k = in_off[u]; k < kend; k++)
			{
				int32_t		w = in_nbr[k];

				POLL(poll);
				if (w == last || (!all && !type_ok[in_type[k]]))
					continue;
				last = w;
				if ((seen[w >> 6] >> (w & 63)) & 1)
					continue;
				if ((redundant[w >> 6] >> (w & 63)) & 1)
				{
					if (g->cmark[w] != ep)
					{
						g->cmark[w] = ep;
						g->cnt[w] = count_up(g, w, type_ok);
					}
					if (!g->down[u])
						g->cnt[w]--;
					if (g->cnt[w] >= g->min_up[w])
						continue;
				}
				seen[w >> 6] |= (uint64_t) 1 << (w & 63);
				visit[w].dist = level + 1;
				visit[w].via = u;
				queue[tail++] = w;
				g->prev_found = tail;	/* kept exact: an interrupt may end the search */
			}
		}
		level++;
	}
	return tail;
}

int32_t
ims_graph_dependencies(ImsGraph *g, const int32_t *starts, int32_t nstarts,
					   int32_t max_depth, const uint8_t *type_ok)
{
	int32_t		head = 0,
				tail,
				level = 0;
	unsigned	poll = 0;
	const uint32_t *out_off = g->out_off;
	const int32_t *out_nbr = g->out_nbr;
	const uint16_t *out_type = g->out_type;
	uint64_t   *seen = g->seen;
	ImsVisit   *visit = g->visit;
	int32_t    *queue = g->queue;
	int			all = all_types(g, type_ok);

	begin_search(g);
	tail = seed(g, starts, nstarts);
	while (head < tail && (max_depth < 0 || level < max_depth))
	{
		int32_t		level_end = tail;

		for (; head < level_end; head++)
		{
			int32_t		u = queue[head];
			uint32_t	k,
						kend;

			if (head + AHEAD_OFF < tail)
				PREFETCH(&out_off[queue[head + AHEAD_OFF]]);
			if (head + AHEAD_NBR < tail)
			{
				uint32_t	ahead = out_off[queue[head + AHEAD_NBR]];

				PREFETCH(&out_nbr[ahead]);
				if (!all)
					PREFETCH(&out_type[ahead]);
			}
			kend = out_off[u + 1];
			for (k = out_off[u]; k < kend; k++)
			{
				int32_t		w = out_nbr[k];

				POLL(poll);
				if (((seen[w >> 6] >> (w & 63)) & 1) || (!all && !type_ok[out_type[k]]))
					continue;
				seen[w >> 6] |= (uint64_t) 1 << (w & 63);
				visit[w].dist = level + 1;
				visit[w].via = u;
				queue[tail++] = w;
				g->prev_found = tail;	/* kept exact: an interrupt may end the search */
			}
		}
		level++;
	}
	return tail;
}

int32_t
ims_graph_path(ImsGraph *g, int32_t from, int32_t to, int32_t max_depth,
			   const uint8_t *type_ok, int32_t *path, uint16_t *types)
{
	int32_t		head = 0,
				tail,
				len,
				v,
				i,
				level = 0;
	unsigned	poll = 0;
	int			found = 0;

	if (from < 0 || from >= g->n || to < 0 || to >= g->n)
		return 0;
	begin_search(g);
	tail = seed(g, &from, 1);
	if (from == to)
		found = 1;
	while (!found && head < tail && (max_depth < 0 || level < max_depth))
	{
		int32_t		level_end = tail;

		for (; !found && head < level_end; head++)
		{
			int32_t		u = g->queue[head];
			uint32_t	k;

			for (k = g->out_off[u]; k < g->out_off[u + 1]; k++)
			{
				int32_t		w = g->out_nbr[k];

				POLL(poll);
				if (SEEN(g, w) || !type_ok[g->out_type[k]])
					continue;
				SET_SEEN(g, w);
				g->visit[w].dist = level + 1;
				g->visit[w].via = u;
				g->queue[tail++] = w;
				g->prev_found = tail;
				if (w == to)
				{
					found = 1;
					break;
				}
			}
		}
		level++;
	}
	if (!found)
		return 0;
	len = g->visit[to].dist + 1;
	for (v = to, i = len - 1; i >= 0; i--, v = g->visit[v].via)
		path[i] = v;
	types[0] = 0;
	for (i = 1; i < len; i++)
	{
		int32_t		u = path[i - 1];
		uint32_t	k;
		int			best = -1;

		for (k = g->out_off[u]; k < g->out_off[u + 1]; k++)
			if (g->out_nbr[k] == path[i] && type_ok[g->out_type[k]] &&
				(best < 0 || g->out_type[k] < best))
				best = g->out_type[k];
		types[i] = (uint16_t) (best < 0 ? 0 : best);
	}
	return len;
}

int32_t
ims_graph_cycles(ImsGraph *g, const uint8_t *type_ok, int32_t *comp,
				 ims_graph_alloc_fn alloc, void *ctx)
{
	size_t		nn = (size_t) g->n + 1;
	int32_t    *index = alloc(ctx, sizeof(int32_t) * nn);
	int32_t    *low = alloc(ctx, sizeof(int32_t) * nn);
	uint8_t    *onstack = alloc(ctx, nn);
	int32_t    *stack = alloc(ctx, sizeof(int32_t) * nn);
	int32_t    *cstack = alloc(ctx, sizeof(int32_t) * nn);	/* call stack: nodes */
	uint32_t   *cpos = alloc(ctx, sizeof(uint32_t) * nn);	/* next edge per node */
	int32_t    *minnode = NULL;
	int32_t		counter = 1,
				sp = 0,
				ncomp = 0,
				root,
				v;
	unsigned	poll = 0;

	for (v = 0; v < g->n; v++)
		comp[v] = 0;

	for (root = 0; root < g->n; root++)
	{
		int32_t		csp = 0;

		if (index[root])
			continue;
		index[root] = low[root] = counter++;
		stack[sp++] = root;
		onstack[root] = 1;
		cstack[csp++] = root;
		cpos[root] = g->out_off[root];
		while (csp > 0)
		{
			int32_t		u = cstack[csp - 1];

			POLL(poll);
			if (cpos[u] < g->out_off[u + 1])
			{
				uint32_t	k = cpos[u]++;
				int32_t		w = g->out_nbr[k];

				if (!type_ok[g->out_type[k]])
					continue;
				if (!index[w])
				{
					index[w] = low[w] = counter++;
					stack[sp++] = w;
					onstack[w] = 1;
					cstack[csp++] = w;
					cpos[w] = g->out_off[w];
				}
				else if (onstack[w] && index[w] < low[u])
					low[u] = index[w];
			}
			else
			{
				csp--;
				if (csp > 0)
				{
					int32_t		p = cstack[csp - 1];

					if (low[u] < low[p])
						low[p] = low[u];
				}
				if (low[u] == index[u])
				{
					int32_t		size = 0,
								x;

					/* pop the component; number it only if it has 2+ nodes */
					do
					{
						x = stack[--sp];
						onstack[x] = 0;
						size++;
						comp[x] = -1;
					} while (x != u);
					if (size > 1)
					{
						int32_t		j;

						ncomp++;
						for (j = sp; j < sp + size; j++)
							comp[stack[j]] = ncomp;
					}
					else
						comp[u] = 0;
				}
			}
		}
	}

	/* renumber by smallest node: scanning nodes in order meets each component's smallest first */
	if (ncomp > 0)
	{
		int32_t		next = 0;

		minnode = alloc(ctx, sizeof(int32_t) * ((size_t) ncomp + 1));
		for (v = 0; v < g->n; v++)
			if (comp[v] > 0 && minnode[comp[v]] == 0)
				minnode[comp[v]] = ++next;
		for (v = 0; v < g->n; v++)
			if (comp[v] > 0)
				comp[v] = minnode[comp[v]];
	}
	return ncomp;
}

typedef struct CommonRow
{
	int32_t		node;
	int32_t		cover;
	int32_t		depth;
} CommonRow;

static int
cmp_common(const void *a, const void *b)
{
	const CommonRow *x = a,
			   *y = b;

	if (x->cover != y->cover)
		return x->cover > y->cover ? -1 : 1;
	if (x->depth != y->depth)
		return x->depth < y->depth ? -1 : 1;
	return x->node < y->node ? -1 : (x->node > y->node);
}

int32_t
ims_graph_common(ImsGraph *g, const int32_t *starts, int32_t nstarts,
				 int32_t max_depth, const uint8_t *type_ok, int32_t min_covers,
				 int32_t *out, int32_t *cover_out, int32_t *depth_out,
				 ims_graph_alloc_fn alloc, void *ctx)
{
	int32_t		touched = 0,
				result = 0,
				i;
	size_t		nn = (size_t) g->n + 1;
	uint8_t    *amark = alloc(ctx, nn);
	int32_t    *acover = alloc(ctx, sizeof(int32_t) * nn);
	int32_t    *adepth = alloc(ctx, sizeof(int32_t) * nn);

	/* one dependency search per distinct start; accumulate cover and depth */
	for (i = 0; i < nstarts; i++)
	{
		int32_t		s = starts[i],
					j,
					found,
					dup = 0;

		if (s < 0 || s >= g->n)
			continue;
		for (j = 0; j < i; j++)
			if (starts[j] == s)
			{
				dup = 1;
				break;
			}
		if (dup)
			continue;
		found = ims_graph_dependencies(g, &s, 1, max_depth, type_ok);
		for (j = 0; j < found; j++)
		{
			int32_t		v = g->queue[j];

			if (!amark[v])
			{
				amark[v] = 1;
				out[touched++] = v;
			}
			acover[v]++;
			if (g->visit[v].dist > adepth[v])
				adepth[v] = g->visit[v].dist;
		}
	}

	for (i = 0; i < touched; i++)
	{
		int32_t		v = out[i];

		if (acover[v] >= min_covers)
			out[result++] = v;
	}
	{
		CommonRow  *buf = alloc(ctx, sizeof(CommonRow) * (size_t) (result > 0 ? result : 1));

		for (i = 0; i < result; i++)
		{
			buf[i].node = out[i];
			buf[i].cover = acover[out[i]];
			buf[i].depth = adepth[out[i]];
		}
		qsort(buf, (size_t) result, sizeof(CommonRow), cmp_common);
		for (i = 0; i < result; i++)
		{
			out[i] = buf[i].node;
			cover_out[i] = buf[i].cover;
			depth_out[i] = buf[i].depth;
		}
	}
	return result;
}
