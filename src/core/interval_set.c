/*
 * interval_set.c — sort, merge, clip and measure unions of time spans.
 * See interval_set.h for the representation.
 */
#include "core/interval_set.h"

#include <stdlib.h>
#include <string.h>

int
ims_ts_valid(int64_t t)
{
	return t == IMS_TS_NEG_INF || t == IMS_TS_POS_INF ||
		(t >= IMS_TS_MIN && t < IMS_TS_END);
}

/*
 * span_less orders by lo only: merging takes the largest hi among spans that
 * start together, so their order does not matter.
 */
static inline int
span_less(const ims_span *a, const ims_span *b)
{
	return a->lo < b->lo;
}

/*
 * sort_spans: insertion sort for short runs, otherwise a median-of-three
 * quicksort that recurses on the smaller side (stack depth O(log n)).
 * A comparator-free sort is about three times faster than qsort() here.
 */
static void
sort_spans(ims_span *v, size_t n)
{
	while (n > 16)
	{
		size_t		mid = n / 2,
					i,
					j;
		ims_span	pivot,
					t;

		/* median of three into v[mid] */
		if (span_less(&v[mid], &v[0]))
		{
			t = v[mid]; v[mid] = v[0]; v[0] = t;
		}
		if (span_less(&v[n - 1], &v[mid]))
		{
			t = v[mid]; v[mid] = v[n - 1]; v[n - 1] = t;
			if (span_less(&v[mid], &v[0]))
			{
				t = v[mid]; v[mid] = v[0]; v[0] = t;
			}
		}
		pivot = v[mid];
		i = 0;
		j = n - 1;
		for (;;)
		{
			while (span_less(&v[i], &pivot))
				i++;
			while (span_less(&pivot, &v[j]))
				j--;
			if (i >= j)
				break;
			t = v[i]; v[i] = v[j]; v[j] = t;
			i++;
			j--;
		}
		/* v[0..j] <= pivot <= v[j+1..n) */
		if (j + 1 < n - (j + 1))
		{
			sort_spans(v, j + 1);
			v += j + 1;
			n -= j + 1;
		}
		else
		{
			sort_spans(v + j + 1, n - (j + 1));
			n = j + 1;
		}
	}
	for (size_t i = 1; i < n; i++)
	{
		ims_span	x = v[i];
		size_t		k = i;

		while (k > 0 && span_less(&x, &v[k - 1]))
		{
			v[k] = v[k - 1];
			k--;
		}
		v[k] = x;
	}
}

/*
 * radix_sort: LSD radix sort by lo, one byte per pass, skipping bytes that
 * all keys share (timestamps close together share their high bytes).  No
 * comparisons, so no branch mispredictions on random input; buf holds n.
 */
static void
radix_sort(ims_span *v, size_t n, ims_span *buf)
{
	size_t		count[8][256];
	ims_span   *src = v,
			   *dst = buf;
	uint64_t	first = (uint64_t) v[0].lo ^ UINT64_C(0x8000000000000000);

	memset(count, 0, sizeof(count));
	for (size_t i = 0; i < n; i++)
	{
		uint64_t	key = (uint64_t) v[i].lo ^ UINT64_C(0x8000000000000000);

		for (int b = 0; b < 8; b++)
			count[b][(key >> (8 * b)) & 0xff]++;
	}
	for (int b = 0; b < 8; b++)
	{
		size_t		sum = 0;
		ims_span   *t;

		if (count[b][(first >> (8 * b)) & 0xff] == n)
			continue;			/* every key has this byte */
		for (int d = 0; d < 256; d++)
		{
			size_t		c = count[b][d];

			count[b][d] = sum;
			sum += c;
		}
		for (size_t i = 0; i < n; i++)
		{
			uint64_t	key = (uint64_t) src[i].lo ^ UINT64_C(0x8000000000000000);

			dst[count[b][(key >> (8 * b)) & 0xff]++] = src[i];
		}
		t = src;
		src = dst;
		dst = t;
	}
	if (src != v)
		memcpy(v, src, n * sizeof(ims_span));
}

/* Below this many spans a comparison sort is faster than radix passes. */
#define RADIX_MIN 256

/* merge_sorted merges a sorted list in place: drops empty, joins touching. */
static size_t
merge_sorted(ims_span *v, size_t n)
{
	size_t		out = 0;

	for (size_t i = 0; i < n; i++)
	{
		if (v[i].lo >= v[i].hi)
			continue;
		if (out > 0 && v[i].lo <= v[out - 1].hi)
		{
			if (v[i].hi > v[out - 1].hi)
				v[out - 1].hi = v[i].hi;
		}
		else
			v[out++] = v[i];
	}
	return out;
}

size_t
ims_spans_normalize(ims_span *v, size_t n, size_t nsorted, ims_span *scratch)
{
	size_t		a,
				b,
				k;

	if (nsorted > n)
		nsorted = n;
	if (scratch == NULL)
	{
		sort_spans(v, n);
		return merge_sorted(v, n);
	}
	if (nsorted == 0)
	{
		if (n >= RADIX_MIN)
			radix_sort(v, n, scratch);
		else
			sort_spans(v, n);
		return merge_sorted(v, n);
	}
	if (nsorted == n)
		return merge_sorted(v, n);

	/* sort the tail, then merge the two sorted runs through scratch */
	if (n - nsorted >= RADIX_MIN)
		radix_sort(v + nsorted, n - nsorted, scratch);
	else
		sort_spans(v + nsorted, n - nsorted);
	/* one pass: merge the runs and join overlapping spans into scratch */
	a = 0;
	b = nsorted;
	k = 0;
	while (a < nsorted || b < n)
	{
		ims_span	x = (b >= n || (a < nsorted && v[a].lo <= v[b].lo)) ? v[a++] : v[b++];

		if (x.lo >= x.hi)
			continue;
		if (k > 0 && x.lo <= scratch[k - 1].hi)
		{
			if (x.hi > scratch[k - 1].hi)
				scratch[k - 1].hi = x.hi;
		}
		else
			scratch[k++] = x;
	}
	memcpy(v, scratch, k * sizeof(ims_span));
	return k;
}

int
ims_spans_is_normalized(const ims_span *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
	{
		if (v[i].lo >= v[i].hi)
			return 0;
		if (i > 0 && v[i].lo <= v[i - 1].hi)
			return 0;
	}
	return 1;
}

int
ims_span_clip(ims_span *s, int64_t plo, int64_t phi)
{
	if (s->lo < plo)
		s->lo = plo;
	if (s->hi > phi)
		s->hi = phi;
	return s->lo < s->hi;
}

int
ims_spans_total(const ims_span *v, size_t n, uint64_t *total)
{
	uint64_t	sum = 0;

	for (size_t i = 0; i < n; i++)
	{
		if (v[i].lo == IMS_TS_NEG_INF || v[i].hi == IMS_TS_POS_INF)
			return -1;
		sum += (uint64_t) v[i].hi - (uint64_t) v[i].lo;
	}
	*total = sum;
	return 0;
}
