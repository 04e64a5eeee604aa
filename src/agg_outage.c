/*
 * agg_outage.c — ims.outage_set and the ims.downtime, ims.availability and
 * ims.mtbf aggregates.
 *
 * The state is a varlena SQL type: an optional period and a normalized union
 * of spans (src/core/interval_set.h), so partial aggregates travel between
 * parallel workers and Citus nodes as plain values.  While aggregating, the
 * state is an expanded object (utils/expandeddatum.h) owned by the aggregate
 * context: rows are appended to an unsorted tail that is sorted and merged
 * into the normalized prefix whenever the buffer fills, and the buffer grows
 * only when more than half of it holds disjoint spans.  That keeps memory
 * bounded by twice the number of disjoint spans, costs O(n log n) in all,
 * and copies nothing per row.  The value is flattened only when it leaves the
 * aggregate (to a parallel leader, to the output function).
 */
#include "postgres.h"

#include "fmgr.h"
#include "libpq/pqformat.h"
#include "catalog/pg_type.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/expandeddatum.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rangetypes.h"
#include "utils/timestamp.h"

#include "core/interval_set.h"
#include "core/metric_state.h"
#include "ims.h"

/* The flat (on-disk and in-tuple) form. */
typedef struct OutageSetFlat
{
	int32		vl_len_;		/* varlena header (do not touch directly) */
	uint8		version;		/* OSET_VERSION */
	uint8		flags;			/* OSET_HAS_PERIOD */
	uint16		reserved;		/* 0 */
	int32		n;				/* number of spans */
	int32		pad;			/* 0 */
	int64		plo;			/* period, when OSET_HAS_PERIOD */
	int64		phi;
	ims_span	spans[FLEXIBLE_ARRAY_MEMBER];
} OutageSetFlat;

#define OSET_VERSION	1
#define OSET_HAS_PERIOD	0x01
#define OSET_HDRSZ		offsetof(OutageSetFlat, spans)
/* the flat form must fit a varlena (1 GB) */
#define OSET_MAX_SPANS	((int64) (MaxAllocSize - OSET_HDRSZ) / (int64) sizeof(ims_span))

/* The expanded (in-aggregate) form. */
typedef struct OutageSetExp
{
	ExpandedObjectHeader hdr;
	bool		has_period;
	int64		plo;
	int64		phi;
	ims_span   *spans;			/* spans[0..nsorted) normalized, then a tail */
	int64		nsorted;
	int64		n;
	int64		cap;
} OutageSetExp;

static Size oset_get_flat_size(ExpandedObjectHeader *eohptr);
static void oset_flatten_into(ExpandedObjectHeader *eohptr, void *result, Size allocated_size);

static const ExpandedObjectMethods oset_methods = {
	oset_get_flat_size,
	oset_flatten_into
};

#define OSET_INITIAL_CAP 16

/* oset_normalize sorts and merges the tail into the normalized prefix. */
static void
oset_normalize(OutageSetExp *e)
{
	ims_span   *scratch;

	if (e->nsorted == e->n)
		return;
	scratch = MemoryContextAllocHuge(e->hdr.eoh_context, e->n * sizeof(ims_span));
	e->n = (int64) ims_spans_normalize(e->spans, (size_t) e->n, (size_t) e->nsorted, scratch);
	e->nsorted = e->n;
	pfree(scratch);
}

/* oset_new makes an empty expanded set in a new child context of parent. */
static OutageSetExp *
oset_new(MemoryContext parent, int64 cap)
{
	MemoryContext cxt = AllocSetContextCreate(parent, "ims.outage_set",
											  ALLOCSET_SMALL_SIZES);
	OutageSetExp *e = MemoryContextAllocZero(cxt, sizeof(OutageSetExp));

	EOH_init_header(&e->hdr, &oset_methods, cxt);
	e->cap = Max(cap, OSET_INITIAL_CAP);
	e->spans = MemoryContextAllocHuge(cxt, e->cap * sizeof(ims_span));
	return e;
}

/* oset_append adds one span (already clipped, lo < hi). */
static inline void
oset_append(OutageSetExp *e, int64 lo, int64 hi)
{
	if (unlikely(e->n == e->cap))
	{
		oset_normalize(e);
		if (e->n > e->cap / 2)
		{
			if (e->n > OSET_MAX_SPANS)
				ereport(ERROR,
						(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
						 errmsg("too many disjoint outages in one ims.outage_set")));
			e->cap *= 2;
			e->spans = repalloc_huge(e->spans, e->cap * sizeof(ims_span));
		}
	}
	e->spans[e->n].lo = lo;
	e->spans[e->n].hi = hi;
	e->n++;
}

static Size
oset_get_flat_size(ExpandedObjectHeader *eohptr)
{
	OutageSetExp *e = (OutageSetExp *) eohptr;

	Assert(eohptr->eoh_methods == &oset_methods);
	oset_normalize(e);
	return OSET_HDRSZ + e->n * sizeof(ims_span);
}

static void
oset_flatten_into(ExpandedObjectHeader *eohptr, void *result, Size allocated_size)
{
	OutageSetExp *e = (OutageSetExp *) eohptr;
	OutageSetFlat *f = (OutageSetFlat *) result;

	Assert(e->nsorted == e->n);
	Assert(allocated_size == OSET_HDRSZ + e->n * sizeof(ims_span));
	memset(f, 0, OSET_HDRSZ);
	SET_VARSIZE(f, allocated_size);
	f->version = OSET_VERSION;
	f->flags = e->has_period ? OSET_HAS_PERIOD : 0;
	f->n = (int32) e->n;
	f->plo = e->has_period ? e->plo : 0;
	f->phi = e->has_period ? e->phi : 0;
	memcpy(f->spans, e->spans, e->n * sizeof(ims_span));
}

/* A read-only look at a state, flat or expanded. */
typedef struct OsetView
{
	bool		has_period;
	int64		plo;
	int64		phi;
	int64		n;
	const ims_span *spans;
} OsetView;

static bool
is_our_expanded(Datum d)
{
	return VARATT_IS_EXTERNAL_EXPANDED(DatumGetPointer(d)) &&
		DatumGetEOHP(d)->eoh_methods == &oset_methods;
}

static void
oset_view(Datum d, OsetView *v)
{
	if (is_our_expanded(d))
	{
		OutageSetExp *e = (OutageSetExp *) DatumGetEOHP(d);

		/* merging the tail changes the layout, not the value */
		oset_normalize(e);
		v->has_period = e->has_period;
		v->plo = e->plo;
		v->phi = e->phi;
		v->n = e->n;
		v->spans = e->spans;
	}
	else
	{
		OutageSetFlat *f = (OutageSetFlat *) PG_DETOAST_DATUM(d);

		v->has_period = (f->flags & OSET_HAS_PERIOD) != 0;
		v->plo = f->plo;
		v->phi = f->phi;
		v->n = f->n;
		v->spans = f->spans;
	}
}

/* oset_from_view copies a state into a new expanded set under parent. */
static OutageSetExp *
oset_from_view(const OsetView *v, MemoryContext parent)
{
	OutageSetExp *e = oset_new(parent, v->n * 2);

	e->has_period = v->has_period;
	e->plo = v->plo;
	e->phi = v->phi;
	memcpy(e->spans, v->spans, v->n * sizeof(ims_span));
	e->n = e->nsorted = v->n;
	return e;
}

/*
 * oset_get_rw returns the state of argument 0 to update: the expanded object
 * itself when the aggregate owns it, otherwise a new expanded copy under
 * parent (the aggregate context, or the caller's context when called as a
 * plain function, where inputs must never be modified).
 */
static OutageSetExp *
oset_get_rw(FunctionCallInfo fcinfo, bool in_agg, MemoryContext parent)
{
	Datum		d = PG_GETARG_DATUM(0);
	OsetView	v;

	if (in_agg && VARATT_IS_EXTERNAL_EXPANDED_RW(DatumGetPointer(d)) &&
		DatumGetEOHP(d)->eoh_methods == &oset_methods)
		return (OutageSetExp *) DatumGetEOHP(d);
	oset_view(d, &v);
	return oset_from_view(&v, parent);
}

/* ---- reading ranges ---- */

/*
 * read_range_slow: bounds of any range over timestamptz, through the range
 * type's own code.  Returns false for an empty range.
 */
static bool
read_range_slow(FunctionCallInfo fcinfo, int argno, ims_span *s)
{
	RangeType  *r = PG_GETARG_RANGE_P(argno);
	TypeCacheEntry *typcache = range_get_typcache(fcinfo, RangeTypeGetOid(r));
	RangeBound	lower,
				upper;
	bool		empty;

	range_deserialize(typcache, r, &lower, &upper, &empty);
	if (empty)
		return false;
	s->lo = lower.infinite ? IMS_TS_NEG_INF : DatumGetTimestampTz(lower.val);
	s->hi = upper.infinite ? IMS_TS_POS_INF : DatumGetTimestampTz(upper.val);
	return true;
}

/*
 * read_range: bounds of a tstzrange as a span; unbounded ends become the
 * infinities.  Returns false for an empty range.
 *
 * This runs once or twice per row, so an uncompressed, in-line tstzrange is
 * read straight from its bytes without detoasting (which copies every value
 * stored with a short header) or a type cache lookup.  The layout is the one
 * range_serialize writes and pg_upgrade keeps: the range type's OID, the
 * present bounds as 8-byte timestamps (no padding: they follow the 8-byte
 * header), and the flags byte last.  Anything else takes the slow path.
 */
static bool
read_range(FunctionCallInfo fcinfo, int argno, ims_span *s)
{
	struct varlena *v = (struct varlena *) DatumGetPointer(PG_GETARG_DATUM(argno));
	const char *data;
	Size		len;
	Oid			typid;
	char		flags;
	Size		off = sizeof(Oid);

	if (VARATT_IS_EXTENDED(v) && !VARATT_IS_SHORT(v))
		return read_range_slow(fcinfo, argno, s);
	data = VARDATA_ANY(v);
	len = VARSIZE_ANY_EXHDR(v);
	if (len < sizeof(Oid) + 1)
		return read_range_slow(fcinfo, argno, s);
	memcpy(&typid, data, sizeof(Oid));
	if (typid != TSTZRANGEOID)
		return read_range_slow(fcinfo, argno, s);
	flags = data[len - 1];
	if (flags & RANGE_EMPTY)
		return false;
	if (len != sizeof(Oid) + 1 + (RANGE_HAS_LBOUND(flags) ? 8 : 0) + (RANGE_HAS_UBOUND(flags) ? 8 : 0))
		return read_range_slow(fcinfo, argno, s);
	if (RANGE_HAS_LBOUND(flags))
	{
		memcpy(&s->lo, data + off, sizeof(int64));
		off += sizeof(int64);
	}
	else
		s->lo = IMS_TS_NEG_INF;
	if (RANGE_HAS_UBOUND(flags))
		memcpy(&s->hi, data + off, sizeof(int64));
	else
		s->hi = IMS_TS_POS_INF;
	return true;
}

/* range_text: the text form of a range, for messages. */
static char *
range_text(Datum d)
{
	Oid			typoutput;
	bool		isvarlena;

	getTypeOutputInfo(RangeTypeGetOid(DatumGetRangeTypeP(d)), &typoutput, &isvarlena);
	return OidOutputFunctionCall(typoutput, d);
}

static void
read_period(FunctionCallInfo fcinfo, int argno, int64 *plo, int64 *phi)
{
	ims_span	p;

	if (!read_range(fcinfo, argno, &p) ||
		p.lo == IMS_TS_NEG_INF || p.hi == IMS_TS_POS_INF || p.lo >= p.hi)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the period must be a finite, non-empty range"),
				 errdetail("The period was %s.", range_text(PG_GETARG_DATUM(argno))),
				 errhint("Pass e.g. tstzrange('2026-01-01', '2026-02-01').")));
	*plo = p.lo;
	*phi = p.hi;
}

static char *
period_text(int64 plo, int64 phi)
{
	char	   *lo = pstrdup(timestamptz_to_str(plo));

	return psprintf("[%s, %s)", lo, timestamptz_to_str(phi));
}

static void
period_mismatch(int64 alo, int64 ahi, bool b_has, int64 blo, int64 bhi)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("all rows of one group must have the same period"),
			 errdetail("Found period %s and %s.", period_text(alo, ahi),
					   b_has ? period_text(blo, bhi) : "no period"),
			 errhint("Group by the period, e.g. GROUP BY month.")));
}

/* set_period gives e its period, or checks that it already has this one. */
static void
set_period(OutageSetExp *e, int64 plo, int64 phi)
{
	if (e->has_period)
	{
		if (e->plo != plo || e->phi != phi)
			period_mismatch(e->plo, e->phi, true, plo, phi);
		return;
	}
	/* a state without a period (never from these aggregates): clip it */
	e->has_period = true;
	e->plo = plo;
	e->phi = phi;
	for (int64 i = 0; i < e->n; i++)
		ims_span_clip(&e->spans[i], plo, phi);
	e->nsorted = e->n = (int64) ims_spans_normalize(e->spans, (size_t) e->n, 0, NULL);
}

/* ---- transition, combine and final functions ---- */

/*
 * ims.outage_set_accum(state, outage): adds an outage (downtime).  Not
 * strict: a NULL outage leaves the state as it is.
 */
IMS_FUNCTION(ims_outage_set_accum);
Datum
ims_outage_set_accum(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext;
	bool		in_agg = AggCheckCallContext(fcinfo, &aggcontext) != 0;
	MemoryContext parent = in_agg ? aggcontext : CurrentMemoryContext;
	OutageSetExp *e;
	ims_span	s;

	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	e = PG_ARGISNULL(0) ? oset_new(parent, 0) : oset_get_rw(fcinfo, in_agg, parent);
	if (read_range(fcinfo, 1, &s))
	{
		if (e->has_period && !ims_span_clip(&s, e->plo, e->phi))
			s.lo = s.hi;
		if (s.lo < s.hi)
			oset_append(e, s.lo, s.hi);
	}
	PG_RETURN_DATUM(EOHPGetRWDatum(&e->hdr));
}

/*
 * ims.outage_set_accum(state, outage, period): adds an outage clipped to the
 * period (availability, mtbf).  A row with a NULL period is skipped; a row
 * with a period but a NULL outage still records the period, so a group
 * without outages has availability 1.
 */
IMS_FUNCTION(ims_outage_set_accum_period);
Datum
ims_outage_set_accum_period(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext;
	bool		in_agg = AggCheckCallContext(fcinfo, &aggcontext) != 0;
	MemoryContext parent = in_agg ? aggcontext : CurrentMemoryContext;
	OutageSetExp *e;
	int64		plo,
				phi;
	ims_span	s;

	if (PG_ARGISNULL(2))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	read_period(fcinfo, 2, &plo, &phi);
	e = PG_ARGISNULL(0) ? oset_new(parent, 0) : oset_get_rw(fcinfo, in_agg, parent);
	set_period(e, plo, phi);
	if (!PG_ARGISNULL(1) && read_range(fcinfo, 1, &s) && ims_span_clip(&s, plo, phi))
		oset_append(e, s.lo, s.hi);
	PG_RETURN_DATUM(EOHPGetRWDatum(&e->hdr));
}

/* ims.outage_set_combine(a, b): the union; NULL on either side is no rows. */
IMS_FUNCTION(ims_outage_set_combine);
Datum
ims_outage_set_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext;
	bool		in_agg = AggCheckCallContext(fcinfo, &aggcontext) != 0;
	MemoryContext parent = in_agg ? aggcontext : CurrentMemoryContext;
	OutageSetExp *e;
	OsetView	b;

	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	oset_view(PG_GETARG_DATUM(1), &b);
	if (PG_ARGISNULL(0))
	{
		e = oset_from_view(&b, parent);
		PG_RETURN_DATUM(EOHPGetRWDatum(&e->hdr));
	}
	e = oset_get_rw(fcinfo, in_agg, parent);
	if (e->has_period != b.has_period ||
		(e->has_period && (e->plo != b.plo || e->phi != b.phi)))
	{
		if (e->has_period)
			period_mismatch(e->plo, e->phi, b.has_period, b.plo, b.phi);
		period_mismatch(b.plo, b.phi, false, 0, 0);
	}
	for (int64 i = 0; i < b.n; i++)
		oset_append(e, b.spans[i].lo, b.spans[i].hi);
	PG_RETURN_DATUM(EOHPGetRWDatum(&e->hdr));
}

/* make_interval_us: an interval of days and time, like timestamp subtraction. */
static Interval *
make_interval_us(uint64 us)
{
	Interval   *r = palloc(sizeof(Interval));

	r->month = 0;
	r->day = (int32) (us / USECS_PER_DAY);
	r->time = (int64) (us % USECS_PER_DAY);
	return r;
}

static uint64
view_total(const OsetView *v)
{
	uint64		total;

	if (ims_spans_total(v->spans, (size_t) v->n, &total) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("downtime is infinite"),
				 errdetail("An outage has an unbounded or infinite end."),
				 errhint("Close open outages first, e.g. tstzrange(lower(r), coalesce(upper(r), now())).")));
	return total;
}

/* ims.downtime_final(state) → interval: length of the union. */
IMS_FUNCTION(ims_downtime_final);
Datum
ims_downtime_final(PG_FUNCTION_ARGS)
{
	OsetView	v;

	oset_view(PG_GETARG_DATUM(0), &v);
	PG_RETURN_INTERVAL_P(make_interval_us(view_total(&v)));
}

/* ims.availability_final(state) → float8: 1 - downtime / period length. */
IMS_FUNCTION(ims_availability_final);
Datum
ims_availability_final(PG_FUNCTION_ARGS)
{
	OsetView	v;

	oset_view(PG_GETARG_DATUM(0), &v);
	if (!v.has_period)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(1.0 - (double) view_total(&v) / (double) ((uint64) v.phi - (uint64) v.plo));
}

/*
 * ims.mtbf_final(state) → interval: (period - downtime) / merged failures,
 * rounded to the microsecond (halves up); NULL without failures.
 */
IMS_FUNCTION(ims_mtbf_final);
Datum
ims_mtbf_final(PG_FUNCTION_ARGS)
{
	OsetView	v;
	uint64		up;

	oset_view(PG_GETARG_DATUM(0), &v);
	if (!v.has_period || v.n == 0)
		PG_RETURN_NULL();
	up = ((uint64) v.phi - (uint64) v.plo) - view_total(&v);
	PG_RETURN_INTERVAL_P(make_interval_us((up + (uint64) v.n / 2) / (uint64) v.n));
}

/* ---- input and output ---- */

static OutageSetFlat *
flat_from_oset(const ims_oset *o)
{
	Size		size = OSET_HDRSZ + o->n * sizeof(ims_span);
	OutageSetFlat *f = palloc0(size);

	SET_VARSIZE(f, size);
	f->version = OSET_VERSION;
	f->flags = o->has_period ? OSET_HAS_PERIOD : 0;
	f->n = (int32) o->n;
	f->plo = o->has_period ? o->plo : 0;
	f->phi = o->has_period ? o->phi : 0;
	memcpy(f->spans, o->spans, o->n * sizeof(ims_span));
	return f;
}

static void
oset_error(int rc, size_t bad, const char *text)
{
	const char *why = ims_state_strerror(rc);

	if (text == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid binary input for type ims.outage_set"),
				 bad ? errdetail("Interval %zu: %s", bad, why) : errdetail("%s", why)));
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid input syntax for type ims.outage_set: \"%s\"", text),
			 bad ? errdetail("Interval %zu: %s", bad, why) : errdetail("%s", why),
			 errhint("The form is period:{[start,end),...} with the period \"none\" or [start,end), "
					 "times in microseconds since 2000-01-01 00:00 UTC or -inf/inf.")));
}

/* ims.outage_set_in(cstring), e.g. "[0,86400000000):{[3600000000,7200000000)}". */
IMS_FUNCTION(ims_outage_set_in);
Datum
ims_outage_set_in(PG_FUNCTION_ARGS)
{
	char	   *str = PG_GETARG_CSTRING(0);
	size_t		cap = ims_oset_count_upper(str),
				bad;
	ims_oset	o;
	int			rc;

	if (cap > (size_t) OSET_MAX_SPANS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many disjoint outages in one ims.outage_set")));
	o.spans = palloc_extended(Max(cap, 1) * sizeof(ims_span), MCXT_ALLOC_HUGE);
	if ((rc = ims_oset_parse(str, &o, &bad)) != IMS_STATE_OK)
		oset_error(rc, bad, str);
	PG_RETURN_POINTER(flat_from_oset(&o));
}

IMS_FUNCTION(ims_outage_set_out);
Datum
ims_outage_set_out(PG_FUNCTION_ARGS)
{
	OsetView	v;
	ims_oset	o;
	char	   *buf;

	oset_view(PG_GETARG_DATUM(0), &v);
	o.has_period = v.has_period;
	o.plo = v.plo;
	o.phi = v.phi;
	o.n = (size_t) v.n;
	o.spans = (ims_span *) v.spans;
	buf = palloc_extended(ims_oset_text_len(&o) + 1, MCXT_ALLOC_HUGE);
	ims_oset_format(&o, buf);
	PG_RETURN_CSTRING(buf);
}

/*
 * Binary form: uint8 version (1), uint8 flags (1 = has period), int32 count,
 * the period as two int64 when flagged, then the spans as int64 pairs.
 */
IMS_FUNCTION(ims_outage_set_recv);
Datum
ims_outage_set_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int			version = pq_getmsgbyte(buf);
	int			flags = pq_getmsgbyte(buf);
	int32		n = pq_getmsgint(buf, 4);
	ims_oset	o;
	size_t		bad;
	int			rc;

	if (version != OSET_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid binary input for type ims.outage_set"),
				 errdetail("Unknown format version %d.", version)));
	if ((flags & ~OSET_HAS_PERIOD) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid binary input for type ims.outage_set"),
				 errdetail("Unknown flags %d.", flags)));
	o.has_period = (flags & OSET_HAS_PERIOD) != 0;
	o.plo = o.has_period ? pq_getmsgint64(buf) : 0;
	o.phi = o.has_period ? pq_getmsgint64(buf) : 0;
	if (n < 0 || (int64) n * 16 > buf->len - buf->cursor)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid binary input for type ims.outage_set"),
				 errdetail("The interval count %d does not match the data.", n)));
	o.n = (size_t) n;
	o.spans = palloc_extended(Max(n, 1) * sizeof(ims_span), MCXT_ALLOC_HUGE);
	for (int32 i = 0; i < n; i++)
	{
		o.spans[i].lo = pq_getmsgint64(buf);
		o.spans[i].hi = pq_getmsgint64(buf);
	}
	if ((rc = ims_oset_valid(&o, &bad)) != IMS_STATE_OK)
		oset_error(rc, bad, NULL);
	PG_RETURN_POINTER(flat_from_oset(&o));
}

IMS_FUNCTION(ims_outage_set_send);
Datum
ims_outage_set_send(PG_FUNCTION_ARGS)
{
	OsetView	v;
	StringInfoData buf;

	oset_view(PG_GETARG_DATUM(0), &v);
	pq_begintypsend(&buf);
	pq_sendbyte(&buf, OSET_VERSION);
	pq_sendbyte(&buf, v.has_period ? OSET_HAS_PERIOD : 0);
	pq_sendint32(&buf, (int32) v.n);
	if (v.has_period)
	{
		pq_sendint64(&buf, v.plo);
		pq_sendint64(&buf, v.phi);
	}
	for (int64 i = 0; i < v.n; i++)
	{
		pq_sendint64(&buf, v.spans[i].lo);
		pq_sendint64(&buf, v.spans[i].hi);
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}
