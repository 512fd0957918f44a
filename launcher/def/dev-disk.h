/*
 * The disk module's own header, for its files: diskconf.c (a disk line:
 * parse, print, targets, checks), dev-disk.c (the module's row and the
 * QEMU objects a disk is) and diskops.c (what the supervisor asks and
 * changes: vmdef_disk_*).  Nothing else includes it.
 */
#ifndef LAUNCHER_DEV_DISK_H
#define LAUNCHER_DEV_DISK_H

#include <stddef.h>
#include <stdint.h>

struct json_object;
struct vmdef;

enum dfmt { FMT_NONE, FMT_RAW, FMT_QCOW2 };
enum dbus { DBUS_DEFAULT, DBUS_VIRTIO, DBUS_SCSI, DBUS_SATA, DBUS_IDE,
	    DBUS_FDC };
enum ddev { DDEV_DISK, DDEV_CDROM, DDEV_FLOPPY };
enum dcache { CACHE_DEFAULT, CACHE_NONE, CACHE_WRITEBACK, CACHE_WRITETHROUGH,
	      CACHE_DIRECTSYNC, CACHE_UNSAFE };
enum daio { AIO_DEFAULT, AIO_THREADS, AIO_NATIVE, AIO_IO_URING };
enum ddiscard { DISCARD_DEFAULT, DISCARD_UNMAP, DISCARD_IGNORE };
enum dsrc { SRC_AUTO, SRC_FILE, SRC_BLOCK };

#define DISK_TARGET_LEN	8	/* "vdzzz" and its NUL */

struct disk {
	char		*path;		/* NULL: size= only, or no medium */
	char		*serial;
	char		*target;	/* as given; NULL: assigned */
	uint64_t	 size;		/* bytes; 0: none */
	enum dfmt	 format;
	enum dbus	 bus;		/* as given */
	enum ddev	 device;
	enum dcache	 cache;
	enum daio	 aio;
	enum ddiscard	 discard;
	enum dsrc	 src;		/* as given */
	int		 readonly;	/* -1: not given */
	int		 sparse;	/* -1: not given (yes) */
	unsigned	 boot_order;	/* 0: none */
	unsigned	 iothread;	/* iothread=K (iothreadK), 0: none */
	/*
	 * Not a key: the overlays a running QEMU has put over the disk's
	 * first medium (external snapshots), 0: none.  Generation N's nodes
	 * are file-vda.N and fmt-vda.N; copied with the disk, never printed.
	 */
	unsigned	 gen;
	/*
	 * What the rest of the definition decides, filled in by disk_resolve
	 * each time it is asked: the target, the bus and the node names.
	 */
	struct {
		char		target[DISK_TARGET_LEN];
		char		file[DISK_TARGET_LEN + 16];	/* file-vda, file-vda.2 */
		char		fmt[DISK_TARGET_LEN + 16];	/* fmt-vda, fmt-vda.2 */
		enum dbus	bus;
		unsigned	index;		/* of the target: vdc is 2 */
	} r;
};

extern const struct devkind devkind_disk;

/* The node names of generation gen of disk k ("fmt-vda", "fmt-vda.1"). */
void		 disk_node_names(const struct disk *k, unsigned gen,
		    char *file, size_t filelen, char *fmt, size_t fmtlen);

/* The disk lines of d, in their order. */
size_t		 disk_count(const struct vmdef *);
struct disk	*disk_at(const struct vmdef *, size_t i);
/*
 * Assign the targets (explicit ones first, then the lowest free name of
 * each bus in the order of the lines), buses and node names of every
 * disk of d.  The results are written into the disks' r.
 */
void		 disk_resolve(const struct vmdef *);

void		*disk_parse(const char *, char *err, size_t errlen);
char		*disk_print(const void *);
void		 disk_free(void *);
void		*disk_dup(const void *);
const char	*disk_format_name(enum dfmt);
enum dfmt	 disk_format_find(const char *);
const char	*disk_bus_name(enum dbus);
const char	*disk_device_name(enum ddev);
const char	*disk_aio_name(enum daio);
const char	*disk_discard_name(enum ddiscard);
/* A cache mode as QEMU means it: cache.direct, cache.no-flush, and the
 * device's write-cache (cache.writeback). */
void		 disk_cache_mode(enum dcache, int *direct, int *no_flush,
		    int *writeback);
/* What one line must hold by itself (parse checks it). */
int		 disk_check_line(const struct disk *, char *err, size_t errlen);
/* An absolute path without control characters; the reason in err. */
int		 disk_check_path(const char *, char *err, size_t errlen);
int		 disk_readonly(const struct disk *);
int		 disk_is_block(const struct disk *);

/*
 * Rendering, after disk_resolve: the -blockdev objects of the protocol
 * and format nodes (NULL for a drive without a medium), the -device
 * object, and the controller it needs (NULL: built into the machine).
 * The same objects are blockdev-add's and device_add's arguments.
 */
struct json_object *disk_file_node(const struct disk *);
struct json_object *disk_fmt_node(const struct disk *);
struct json_object *disk_device(const struct vmdef *, const struct disk *);
struct json_object *disk_controller(const struct vmdef *, const struct disk *);
/* The devkind's check: the disks against each other and the machine. */
int		 disk_check(const struct vmdef *, const void *const *confs,
		    size_t n, char *err, size_t errlen);
/* Can it go on a command line?  "disk vda: no format; ..." if not. */
int		 disk_ready(const struct vmdef *, const void *, char *err,
		    size_t errlen);

#endif
