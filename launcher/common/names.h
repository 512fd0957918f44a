/*
 * Names on the control socket: the error classes of replies and the
 * events the supervisor sends.  Errors QEMU raised keep QEMU's own class
 * and carry "qemu": true.
 */
#ifndef LAUNCHER_NAMES_H
#define LAUNCHER_NAMES_H

#define ERR_GENERIC		"GenericError"
#define ERR_COMMAND_NOT_FOUND	"CommandNotFound"
#define ERR_NOT_FOUND		"NotFound"
#define ERR_EXISTS		"Exists"
#define ERR_INVALID_STATE	"InvalidState"
#define ERR_INVALID_DEF		"InvalidDefinition"
#define ERR_PERMISSION		"PermissionDenied"
#define ERR_IN_USE		"InUse"
#define ERR_TIMEOUT		"Timeout"
#define ERR_DISCONNECTED	"Disconnected"

/* the supervisor's own events (QEMU's pass through with their names) */
#define EV_VM_STATE		"VM_STATE"
#define EV_VM_RENAMED		"VM_RENAMED"
#define EV_VM_DEFINED		"VM_DEFINED"
#define EV_VM_UNDEFINED		"VM_UNDEFINED"
#define EV_JOB_PROGRESS		"JOB_PROGRESS"
#define EV_STATS		"STATS"		/* stats-watch's samples */
#define EV_EVENTS_LOST		"EVENTS_LOST"

#endif
