/*
 * calendar.c — the ims.calendar type and the business-time functions
 * (SPEC section 1).  The arithmetic lives in src/core/calendar_*.c; this file
 * converts Datums, fills the core's zone interface with PostgreSQL's own zone
 * code and caches parsed calendars.
 *
 * Stored form: a varlena holding a format version byte (1) followed by the
 * canonical text.  Input, binary receive and the jsonb constructor all go
 * through the same parser, so every stored value is canonical; equality is
 * byte equality.
 *
 * Zone interface: offset_at uses pg_next_dst_boundary (the offset in force
 * and the next change), local_to_utc uses DetermineTimeZoneOffset exactly as
 * `timestamp AT TIME ZONE zone` does, so DST days follow PostgreSQL.
 */
#include "postgres.h"

#include "access/hash.h"
#include "common/hashfn.h"
#include "common/int.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "nodes/primnodes.h"
#include "nodes/pg_list.h"
#include "pgtime.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "ims.h"
#include "calendar.h"
#include "core/calendar_math.h"

/* seconds from 1970-01-01 to 2000-01-01 */
#define UNIX_TO_PG_SECS ((int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY)

/* ------------------------------------------------------------------ */
/* errors                                                               */

void
ims_raise_error(const ImsError *err)
{
	int			code;

	switch (err->status)
	{
		case IMS_ERR_SYNTAX:
			code = ERRCODE_INVALID_TEXT_REPRESENTATION;
			break;
		case IMS_ERR_RANGE:
			code = ERRCODE_DATETIME_VALUE_OUT_OF_RANGE;
			break;
		case IMS_ERR_PARAM:
		case IMS_ERR_NO_TIME:
			code = ERRCODE_INVALID_PARAMETER_VALUE;
			break;
		case IMS_ERR_STATE:
			code = ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE;
			break;
		default:
			code = ERRCODE_INTERNAL_ERROR;
			break;
	}
	ereport(ERROR,
			(errcode(code),
			 errmsg_internal("%s", err->message),
			 err->detail[0] ? errdetail_internal("%s", err->detail) : 0,
			 err->hint[0] ? errhint("%s", err->hint) : 0));
	pg_unreachable();
}

/* ------------------------------------------------------------------ */
/* memory and zones for the core                                        */

static void *
mcxt_alloc(void *arg, size_t size)
{
	return MemoryContextAllocExtended((MemoryContext) arg, size, MCXT_ALLOC_HUGE | MCXT_ALLOC_NO_OOM);
}

static void
mcxt_free(void *arg, void *p)
{
	pfree(p);
}

static bool
zone_check(void *arg, const char *name, char *canon, size_t canonsz)
{
	pg_tz	   *tz = pg_tzset(name);
	const char *cn;

	if (tz == NULL || !pg_tz_acceptable(tz))
		return false;
	cn = pg_get_timezone_name(tz);
	if (cn == NULL || strlen(cn) >= canonsz)
		return false;
	strlcpy(canon, cn, canonsz);
	return true;
}

static bool
zone_offset_at(void *arg, int64_t u, int64_t *off, int64_t *next, int64_t *next_off)
{
	pg_tz	   *tz = (pg_tz *) arg;
	pg_time_t	t = (pg_time_t) (u / USECS_PER_SEC - (u % USECS_PER_SEC < 0 ? 1 : 0)) + UNIX_TO_PG_SECS;
	long int	before_gmtoff,
				after_gmtoff;
	int			before_isdst,
				after_isdst;
	pg_time_t	boundary;
	int			r;

	r = pg_next_dst_boundary(&t, &before_gmtoff, &before_isdst, &boundary,
							 &after_gmtoff, &after_isdst, tz);
	if (r < 0)
		return false;
	*off = (int64_t) before_gmtoff * USECS_PER_SEC;
	if (r == 0 || boundary - UNIX_TO_PG_SECS > INT64_MAX / USECS_PER_SEC - 1)
	{
		*next = INT64_MAX;
		*next_off = *off;
		return true;
	}
	*next = (int64_t) (boundary - UNIX_TO_PG_SECS) * USECS_PER_SEC;
	*next_off = (int64_t) after_gmtoff * USECS_PER_SEC;
	if (*next <= u)				/* cannot happen: boundary > t */
		return false;
	return true;
}

static int64_t
zone_local_to_utc(void *arg, int64_t local)
{
	pg_tz	   *tz = (pg_tz *) arg;
	struct pg_tm tm;
	fsec_t		fsec;
	int			tzoff;

	if (timestamp2tm((Timestamp) local, NULL, &tm, &fsec, NULL, NULL) != 0)
		return local;
	tzoff = DetermineTimeZoneOffset(&tm, tz);
	return local + (int64_t) tzoff * USECS_PER_SEC;
}

static void
attach_zone(ImsCalendar *cal)
{
	ImsZoneOps	ops;
	pg_tz	   *tz = pg_tzset(cal->tz);

	if (tz == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("time zone \"%s\" of a calendar is not recognized", cal->tz),
				 errdetail("The server's time zone data no longer holds this zone.")));
	ops.offset_at = zone_offset_at;
	ops.local_to_utc = zone_local_to_utc;
	ops.arg = tz;
	ims_cal_attach_zone(cal, &ops);
}

/* ------------------------------------------------------------------ */
/* parse, store                                                         */

/* Parse text into a calendar allocated in mcxt; raises 22P02 on bad input. */
static ImsCalendar *
parse_calendar(const char *text, size_t len, MemoryContext mcxt)
{
	ImsMem		mem;
	ImsError	err;
	ImsCalendar *cal;

	mem.alloc = mcxt_alloc;
	mem.free = mcxt_free;
	mem.arg = mcxt;
	if (ims_cal_parse(text, len, &mem, zone_check, NULL, &cal, &err) != IMS_OK)
		ims_raise_error(&err);
	return cal;
}

/* The stored varlena of a parsed calendar. */
static bytea *
calendar_datum(ImsCalendar *cal)
{
	ImsMem		mem;
	char	   *txt;
	size_t		len;
	bytea	   *res;

	mem.alloc = mcxt_alloc;
	mem.free = mcxt_free;
	mem.arg = CurrentMemoryContext;
	txt = ims_cal_print(cal, &mem);
	if (txt == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	len = strlen(txt);
	res = (bytea *) palloc(VARHDRSZ + 1 + len);
	SET_VARSIZE(res, VARHDRSZ + 1 + len);
	((char *) VARDATA(res))[0] = IMS_CAL_FORMAT_VERSION;
	memcpy(VARDATA(res) + 1, txt, len);
	pfree(txt);
	return res;
}

/* Parse text into a new stored value (parse structures freed). */
static bytea *
calendar_from_text(const char *text, size_t len)
{
	MemoryContext tmp = AllocSetContextCreate(CurrentMemoryContext, "ims calendar input",
											  ALLOCSET_SMALL_SIZES);
	ImsCalendar *cal = parse_calendar(text, len, tmp);
	bytea	   *res = calendar_datum(cal);

	MemoryContextDelete(tmp);
	return res;
}

/* ------------------------------------------------------------------ */
/* cache                                                                */

typedef struct CacheEntry
{
	char	   *key;
	Size		keylen;
	MemoryContext cxt;
	ImsCalendar *cal;
	uint64		used;
} CacheEntry;

struct ImsCalendarCache
{
	MemoryContext mcxt;
	int			n;
	uint64		tick;
	CacheEntry	e[IMS_CALENDAR_CACHE_SIZE];
	/* calendar_arg(): the argument is a Const of this call site's expression */
	int8		const_arg;		/* -1 unknown, 0 no, 1 yes */
	ImsCalendar *const_cal;
};

ImsCalendarCache *
ims_calendar_cache_create(MemoryContext mcxt)
{
	ImsCalendarCache *c = MemoryContextAllocZero(mcxt, sizeof(ImsCalendarCache));

	c->mcxt = mcxt;
	c->const_arg = -1;
	return c;
}

ImsCalendar *
ims_calendar_cache_get(ImsCalendarCache *cache, Datum d)
{
	struct varlena *v = pg_detoast_datum_packed((struct varlena *) DatumGetPointer(d));
	const char *data = VARDATA_ANY(v);
	Size		len = VARSIZE_ANY_EXHDR(v);
	int			i,
				victim = 0;
	CacheEntry *e;
	MemoryContext cxt;
	ImsCalendar *cal;

	for (i = 0; i < cache->n; i++)
	{
		e = &cache->e[i];
		if (e->keylen == len && memcmp(e->key, data, len) == 0)
		{
			e->used = ++cache->tick;
			if ((Pointer) v != DatumGetPointer(d))
				pfree(v);
			return e->cal;
		}
	}
	if (len < 1 || data[0] != IMS_CAL_FORMAT_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("unsupported ims.calendar format version %d", len < 1 ? -1 : (int) (uint8) data[0])));

	if (cache->n < IMS_CALENDAR_CACHE_SIZE)
		victim = cache->n++;
	else
	{
		for (i = 1; i < cache->n; i++)
			if (cache->e[i].used < cache->e[victim].used)
				victim = i;
		if (cache->const_cal == cache->e[victim].cal)
			cache->const_cal = NULL;
		MemoryContextDelete(cache->e[victim].cxt);
		memset(&cache->e[victim], 0, sizeof(CacheEntry));
	}
	e = &cache->e[victim];
	cxt = AllocSetContextCreate(cache->mcxt, "ims calendar", ALLOCSET_SMALL_SIZES);
	PG_TRY();
	{
		cal = parse_calendar(data + 1, len - 1, cxt);
		attach_zone(cal);
	}
	PG_CATCH();
	{
		MemoryContextDelete(cxt);
		/* keep the slot empty: move the last entry into it */
		cache->n--;
		if (victim != cache->n)
			cache->e[victim] = cache->e[cache->n];
		memset(&cache->e[cache->n], 0, sizeof(CacheEntry));
		PG_RE_THROW();
	}
	PG_END_TRY();
	e->cxt = cxt;
	e->cal = cal;
	e->key = MemoryContextAlloc(cxt, len);
	memcpy(e->key, data, len);
	e->keylen = len;
	e->used = ++cache->tick;
	if ((Pointer) v != DatumGetPointer(d))
		pfree(v);
	return cal;
}

ImsCalendar *
ims_calendar_from_datum(FunctionCallInfo fcinfo, Datum d)
{
	ImsCalendarCache *cache = (ImsCalendarCache *) fcinfo->flinfo->fn_extra;

	if (cache == NULL)
	{
		cache = ims_calendar_cache_create(fcinfo->flinfo->fn_mcxt);
		fcinfo->flinfo->fn_extra = cache;
	}
	return ims_calendar_cache_get(cache, d);
}

/*
 * The calendar of argument argno of an SQL-callable function.  When that
 * argument is a Const in the calling expression (a calendar literal), its
 * value cannot change for this FmgrInfo, so after the first call the parsed
 * calendar is returned without detoasting or comparing bytes.  Params are not
 * trusted this way (PL/pgSQL re-evaluates one expression with new values).
 */
ImsCalendar *
ims_calendar_arg(FunctionCallInfo fcinfo, int argno)
{
	ImsCalendarCache *cache = (ImsCalendarCache *) fcinfo->flinfo->fn_extra;
	ImsCalendar *cal;

	if (cache == NULL)
	{
		cache = ims_calendar_cache_create(fcinfo->flinfo->fn_mcxt);
		fcinfo->flinfo->fn_extra = cache;
	}
	if (cache->const_arg < 0)
	{
		Node	   *expr = fcinfo->flinfo->fn_expr;
		List	   *args = NIL;

		if (expr && IsA(expr, FuncExpr))
			args = ((FuncExpr *) expr)->args;
		cache->const_arg = (args != NIL && argno < list_length(args) &&
							IsA(list_nth(args, argno), Const)) ? 1 : 0;
	}
	if (cache->const_arg == 1 && cache->const_cal != NULL)
		return cache->const_cal;
	cal = ims_calendar_cache_get(cache, PG_GETARG_DATUM(argno));
	if (cache->const_arg == 1)
		cache->const_cal = cal;
	return cal;
}

const char *
ims_calendar_zone(const ImsCalendar *cal)
{
	return cal->tz;
}

/* ------------------------------------------------------------------ */
/* C API                                                                */

static void
check_finite(TimestampTz t)
{
	if (TIMESTAMP_NOT_FINITE(t))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("timestamp out of range"),
				 errdetail("Business time is defined for finite timestamps only.")));
}

int64
ims_business_time(ImsCalendar *cal, TimestampTz from, TimestampTz to)
{
	ImsError	err;
	int64_t		v,
				span;

	check_finite(from);
	check_finite(to);
	if (pg_sub_s64_overflow(to, from, &span))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("interval out of range")));
	if (ims_cal_business_time(cal, from, to, &v, &err) != IMS_OK)
		ims_raise_error(&err);
	return v;
}

TimestampTz
ims_business_add(ImsCalendar *cal, TimestampTz t, int64 usecs)
{
	ImsError	err;
	int64_t		v;

	check_finite(t);
	if (ims_cal_business_add(cal, t, usecs, &v, &err) != IMS_OK)
		ims_raise_error(&err);
	return v;
}

TimestampTz
ims_business_days_add(ImsCalendar *cal, TimestampTz t, int32 n)
{
	ImsError	err;
	int64_t		v;

	check_finite(t);
	if (ims_cal_business_days_add(cal, t, n, &v, &err) != IMS_OK)
		ims_raise_error(&err);
	return v;
}

bool
ims_is_business_time(ImsCalendar *cal, TimestampTz t)
{
	ImsError	err;
	bool		v;

	check_finite(t);
	if (ims_cal_is_business_time(cal, t, &v, &err) != IMS_OK)
		ims_raise_error(&err);
	return v;
}

TimestampTz
ims_next_business_time(ImsCalendar *cal, TimestampTz t)
{
	ImsError	err;
	int64_t		v;

	check_finite(t);
	if (ims_cal_next_business_time(cal, t, &v, &err) != IMS_OK)
		ims_raise_error(&err);
	return v;
}

int64
ims_interval_business_usecs(const Interval *iv)
{
	int64		days,
				v;

	if (iv->month != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("business durations cannot contain months or years"),
				 errdetail("A month has no fixed length in business time."),
				 errhint("Write the duration in hours or days, for example '160 hours' or '20 days'; a day counts 24 business hours.")));
	if (pg_mul_s64_overflow((int64) iv->day, USECS_PER_DAY, &days) ||
		pg_add_s64_overflow(days, iv->time, &v))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("interval out of range")));
	return v;
}

Interval *
ims_usecs_interval(int64 usecs)
{
	Interval   *iv = (Interval *) palloc(sizeof(Interval));

	iv->time = usecs;
	iv->day = 0;
	iv->month = 0;
	return iv;
}

/* ------------------------------------------------------------------ */
/* type I/O                                                             */

IMS_FUNCTION(ims_calendar_in);
Datum
ims_calendar_in(PG_FUNCTION_ARGS)
{
	char	   *s = PG_GETARG_CSTRING(0);

	PG_RETURN_BYTEA_P(calendar_from_text(s, strlen(s)));
}

IMS_FUNCTION(ims_calendar_out);
Datum
ims_calendar_out(PG_FUNCTION_ARGS)
{
	bytea	   *v = PG_GETARG_BYTEA_PP(0);
	Size		len = VARSIZE_ANY_EXHDR(v);

	if (len < 1 || VARDATA_ANY(v)[0] != IMS_CAL_FORMAT_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("unsupported ims.calendar format version")));
	PG_RETURN_CSTRING(pnstrdup(VARDATA_ANY(v) + 1, len - 1));
}

/* Binary form: version byte, then the canonical text; checked like text input. */
IMS_FUNCTION(ims_calendar_recv);
Datum
ims_calendar_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int			version = pq_getmsgbyte(buf);
	int			len = buf->len - buf->cursor;
	const char *txt;

	if (version != IMS_CAL_FORMAT_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("unsupported ims.calendar binary format version %d", version)));
	txt = pq_getmsgbytes(buf, len);
	PG_RETURN_BYTEA_P(calendar_from_text(txt, (size_t) len));
}

IMS_FUNCTION(ims_calendar_send);
Datum
ims_calendar_send(PG_FUNCTION_ARGS)
{
	bytea	   *v = PG_GETARG_BYTEA_PP(0);
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendbytes(&buf, VARDATA_ANY(v), VARSIZE_ANY_EXHDR(v));
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

static bool
calendar_bytes_eq(bytea *a, bytea *b)
{
	return VARSIZE_ANY_EXHDR(a) == VARSIZE_ANY_EXHDR(b) &&
		memcmp(VARDATA_ANY(a), VARDATA_ANY(b), VARSIZE_ANY_EXHDR(a)) == 0;
}

IMS_FUNCTION(ims_calendar_eq);
Datum
ims_calendar_eq(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(calendar_bytes_eq(PG_GETARG_BYTEA_PP(0), PG_GETARG_BYTEA_PP(1)));
}

IMS_FUNCTION(ims_calendar_ne);
Datum
ims_calendar_ne(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(!calendar_bytes_eq(PG_GETARG_BYTEA_PP(0), PG_GETARG_BYTEA_PP(1)));
}

IMS_FUNCTION(ims_calendar_hash);
Datum
ims_calendar_hash(PG_FUNCTION_ARGS)
{
	bytea	   *v = PG_GETARG_BYTEA_PP(0);

	return hash_any((const unsigned char *) VARDATA_ANY(v), (int) VARSIZE_ANY_EXHDR(v));
}

/* ------------------------------------------------------------------ */
/* jsonb                                                                */

static void
json_windows(StringInfo b, const ImsWindow *w, int n)
{
	int			i;
	char		t1[6],
				t2[6];

	appendStringInfoChar(b, '[');
	for (i = 0; i < n; i++)
	{
		ims_cal_format_hm(w[i].start, false, t1);
		ims_cal_format_hm(w[i].end, true, t2);
		appendStringInfo(b, "%s\"%s-%s\"", i ? ", " : "", t1, t2);
	}
	appendStringInfoChar(b, ']');
}

static void
json_date(StringInfo b, int32 day)
{
	int32_t		y;
	int			m,
				d;

	ims_civil_from_days(day, &y, &m, &d);
	appendStringInfo(b, "%04d-%02d-%02d", (int) y, m, d);
}

IMS_FUNCTION(ims_calendar_to_jsonb);
Datum
ims_calendar_to_jsonb(PG_FUNCTION_ARGS)
{
	static const char *const dn[7] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
	ImsCalendar *cal = ims_calendar_arg(fcinfo, 0);
	StringInfoData b;
	int			i;

	initStringInfo(&b);
	appendStringInfoString(&b, "{\"tz\": ");
	escape_json(&b, cal->tz);
	appendStringInfoString(&b, ", \"weekly\": {");
	for (i = 0; i < 7; i++)
	{
		appendStringInfo(&b, "%s\"%s\": ", i ? ", " : "", dn[i]);
		json_windows(&b, cal->wk[i], cal->nwk[i]);
	}
	appendStringInfoString(&b, "}, \"closed\": [");
	for (i = 0; i < cal->nclosed; i++)
	{
		appendStringInfoString(&b, i ? ", \"" : "\"");
		json_date(&b, cal->closed[i].first);
		if (cal->closed[i].last != cal->closed[i].first)
		{
			appendStringInfoString(&b, "..");
			json_date(&b, cal->closed[i].last);
		}
		appendStringInfoChar(&b, '"');
	}
	appendStringInfoString(&b, "], \"closed_yearly\": [");
	for (i = 0; i < cal->nyearly; i++)
		appendStringInfo(&b, "%s\"%02d-%02d\"", i ? ", " : "", cal->yearly[i] / 100, cal->yearly[i] % 100);
	appendStringInfoString(&b, "], \"dates\": {");
	for (i = 0; i < cal->nover; i++)
	{
		appendStringInfoString(&b, i ? ", \"" : "\"");
		json_date(&b, cal->over[i].day);
		appendStringInfoString(&b, "\": ");
		json_windows(&b, cal->ovwin + cal->over[i].first, cal->over[i].nwin);
	}
	appendStringInfoString(&b, "}}");
	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(b.data)));
}

static void pg_attribute_noreturn()
json_error(const char *fmt, const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid calendar JSON"),
			 errdetail(fmt, what),
			 errhint("The shape is {\"tz\": \"Europe/Berlin\", \"weekly\": {\"mon\": [\"09:00-17:00\"], ...}, \"closed\": [\"2026-12-24..2026-12-26\"], \"closed_yearly\": [\"05-01\"], \"dates\": {\"2026-12-31\": [\"09:00-12:00\"]}}.")));
}

/* Append a JSON string value restricted to the characters in `allowed`. */
static void
append_json_token(StringInfo b, JsonbValue *v, const char *allowed, const char *what)
{
	int			i;

	if (v->type != jbvString)
		json_error("Expected strings in %s.", what);
	if (v->val.string.len == 0)
		json_error("An empty string appears in %s.", what);
	for (i = 0; i < v->val.string.len; i++)
		if (strchr(allowed, v->val.string.val[i]) == NULL || v->val.string.val[i] == '\0')
			json_error("A string in %s holds a character that does not belong there.", what);
	appendBinaryStringInfo(b, v->val.string.val, v->val.string.len);
}

#define WIN_CHARS "0123456789:-"
#define DATE_CHARS "0123456789-."
#define ZONE_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/_+-."

/* Append the comma-separated strings of a JSON array (a jbvBinary value). */
static int
append_json_array(StringInfo b, JsonbValue *arr, const char *allowed, const char *what)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken r;
	int			n = 0;

	if (arr->type != jbvBinary || !JsonContainerIsArray(arr->val.binary.data) ||
		JsonContainerIsScalar(arr->val.binary.data))
		json_error("Expected an array of strings for %s.", what);
	it = JsonbIteratorInit(arr->val.binary.data);
	while ((r = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (r != WJB_ELEM)
			continue;
		if (n++)
			appendStringInfoChar(b, ',');
		append_json_token(b, &v, allowed, what);
	}
	return n;
}

static bool
key_is(JsonbValue *k, const char *s)
{
	return k->type == jbvString && (size_t) k->val.string.len == strlen(s) &&
		memcmp(k->val.string.val, s, k->val.string.len) == 0;
}

IMS_FUNCTION(ims_calendar_from_jsonb);
Datum
ims_calendar_from_jsonb(PG_FUNCTION_ARGS)
{
	static const char *const dn[7] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
	Jsonb	   *jb = PG_GETARG_JSONB_P(0);
	JsonbIterator *it;
	JsonbValue	k,
				v;
	JsonbIteratorToken r;
	StringInfoData b;

	if (!JB_ROOT_IS_OBJECT(jb))
		json_error("%s", "A calendar is a JSON object.");
	initStringInfo(&b);
	it = JsonbIteratorInit(&jb->root);
	while ((r = JsonbIteratorNext(&it, &k, true)) != WJB_DONE)
	{
		if (r != WJB_KEY)
			continue;
		r = JsonbIteratorNext(&it, &v, true);
		if (key_is(&k, "tz"))
		{
			appendStringInfoString(&b, "tz ");
			append_json_token(&b, &v, ZONE_CHARS, "tz");
			appendStringInfoString(&b, ";");
		}
		else if (key_is(&k, "weekly") || key_is(&k, "dates"))
		{
			bool		weekly = key_is(&k, "weekly");
			JsonbIterator *it2;
			JsonbValue	k2,
						v2;

			if (v.type != jbvBinary || !JsonContainerIsObject(v.val.binary.data))
				json_error("Expected an object for %s.", weekly ? "weekly" : "dates");
			it2 = JsonbIteratorInit(v.val.binary.data);
			while ((r = JsonbIteratorNext(&it2, &k2, true)) != WJB_DONE)
			{
				int			mark;

				if (r != WJB_KEY)
					continue;
				r = JsonbIteratorNext(&it2, &v2, true);
				if (weekly)
				{
					int			i;

					for (i = 0; i < 7; i++)
						if (key_is(&k2, dn[i]))
							break;
					if (i == 7)
						json_error("%s", "The keys of weekly are mon, tue, wed, thu, fri, sat and sun.");
					appendStringInfo(&b, " %s ", dn[i]);
				}
				else
				{
					appendStringInfoChar(&b, ' ');
					append_json_token(&b, &k2, DATE_CHARS, "the keys of dates");
					appendStringInfoChar(&b, ' ');
				}
				mark = b.len;
				if (append_json_array(&b, &v2, WIN_CHARS, weekly ? "the windows of a weekday" : "the windows of a date") == 0)
				{
					b.len = mark;
					b.data[b.len] = '\0';
					appendStringInfoString(&b, "closed");
				}
				appendStringInfoChar(&b, ';');
			}
		}
		else if (key_is(&k, "closed") || key_is(&k, "closed_yearly"))
		{
			bool		yearly = key_is(&k, "closed_yearly");
			int			mark = b.len;

			appendStringInfoString(&b, yearly ? " closed yearly " : " closed ");
			if (append_json_array(&b, &v, DATE_CHARS, yearly ? "closed_yearly" : "closed") == 0)
			{
				b.len = mark;
				b.data[b.len] = '\0';
			}
			else
				appendStringInfoChar(&b, ';');
		}
		else
			json_error("%s", "The keys of a calendar are tz, weekly, closed, closed_yearly and dates.");
	}
	if (b.len == 0)
		appendStringInfoString(&b, "tz UTC");
	PG_RETURN_BYTEA_P(calendar_from_text(b.data, (size_t) b.len));
}

/* ------------------------------------------------------------------ */
/* business-time functions                                              */

IMS_FUNCTION(ims_business_time_sql);
Datum
ims_business_time_sql(PG_FUNCTION_ARGS)
{
	ImsCalendar *cal = ims_calendar_arg(fcinfo, 0);

	PG_RETURN_INTERVAL_P(ims_usecs_interval(ims_business_time(cal, PG_GETARG_TIMESTAMPTZ(1),
															   PG_GETARG_TIMESTAMPTZ(2))));
}

IMS_FUNCTION(ims_business_add_sql);
Datum
ims_business_add_sql(PG_FUNCTION_ARGS)
{
	ImsCalendar *cal = ims_calendar_arg(fcinfo, 0);
	int64		d = ims_interval_business_usecs(PG_GETARG_INTERVAL_P(2));

	PG_RETURN_TIMESTAMPTZ(ims_business_add(cal, PG_GETARG_TIMESTAMPTZ(1), d));
}

IMS_FUNCTION(ims_business_days_add_sql);
Datum
ims_business_days_add_sql(PG_FUNCTION_ARGS)
{
	ImsCalendar *cal = ims_calendar_arg(fcinfo, 0);

	PG_RETURN_TIMESTAMPTZ(ims_business_days_add(cal, PG_GETARG_TIMESTAMPTZ(1), PG_GETARG_INT32(2)));
}

IMS_FUNCTION(ims_is_business_time_sql);
Datum
ims_is_business_time_sql(PG_FUNCTION_ARGS)
{
	ImsCalendar *cal = ims_calendar_arg(fcinfo, 0);

	PG_RETURN_BOOL(ims_is_business_time(cal, PG_GETARG_TIMESTAMPTZ(1)));
}

IMS_FUNCTION(ims_next_business_time_sql);
Datum
ims_next_business_time_sql(PG_FUNCTION_ARGS)
{
	ImsCalendar *cal = ims_calendar_arg(fcinfo, 0);

	PG_RETURN_TIMESTAMPTZ(ims_next_business_time(cal, PG_GETARG_TIMESTAMPTZ(1)));
}
