/*
 * ims_status.h — how plain-C core code reports failure to its caller.
 *
 * Core functions never print and never jump: they return an ImsStatus and, on
 * failure, fill an ImsError whose kind the glue maps onto a SQLSTATE
 * (doc/errors.md).  Messages are lowercase (PostgreSQL style); details and
 * hints are sentences.
 */
#ifndef IMS_CORE_STATUS_H
#define IMS_CORE_STATUS_H

#include <stddef.h>

typedef enum ImsStatus
{
	IMS_OK = 0,
	IMS_ERR_SYNTAX,				/* malformed text or binary input: 22P02 */
	IMS_ERR_RANGE,				/* a timestamp or duration out of range: 22008 */
	IMS_ERR_PARAM,				/* an argument that is not allowed: 22023 */
	IMS_ERR_STATE,				/* operation not allowed in the clock's state: 55000 */
	IMS_ERR_NO_TIME,			/* calendar has no business time where needed: 22023 */
	IMS_ERR_INTERNAL			/* the time zone library failed: XX000 */
} ImsStatus;

typedef struct ImsError
{
	ImsStatus	status;
	char		message[256];
	char		detail[256];
	char		hint[256];
} ImsError;

/* Fill err (may be NULL) and return status; printf-style message. */
extern ImsStatus ims_fail(ImsError *err, ImsStatus status, const char *fmt,...)
#if defined(__GNUC__) || defined(__clang__)
			__attribute__((format(printf, 3, 4)))
#endif
;

/* Set the detail / hint of an already filled error (printf-style). */
extern void ims_fail_detail(ImsError *err, const char *fmt,...)
#if defined(__GNUC__) || defined(__clang__)
			__attribute__((format(printf, 2, 3)))
#endif
;
extern void ims_fail_hint(ImsError *err, const char *fmt,...)
#if defined(__GNUC__) || defined(__clang__)
			__attribute__((format(printf, 2, 3)))
#endif
;

#endif							/* IMS_CORE_STATUS_H */
