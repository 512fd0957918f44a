/*
 * An emulator's own data directory (option ROMs, keymaps): a QEMU
 * unpacked beside the system's (images/fetch-qemu10.sh: dpkg -x into a
 * directory) searches the system's /usr/share/qemu, compiled in, and not
 * the files that came with it.  Probed, not decided by version.
 */
#ifndef LAUNCHER_EMUDATA_H
#define LAUNCHER_EMUDATA_H

#include <stddef.h>

/*
 * 1 with dir set when emu's sibling data directory (BINDIR/../share/qemu,
 * the binary's symlinks resolved) exists and is not on the search path
 * that `emu -L help` prints: QEMU needs -L dir to use its own files.  0
 * when it needs nothing (the directory is on its path, or there is
 * none); -1 with err when the probe failed (QEMU did not answer in
 * EMUDATA_PROBE_MS, or printed no path).
 */
#define EMUDATA_PROBE_MS	3000
int	 emudata_dir(const char *emu, char *dir, size_t dirlen, char *err,
	    size_t errlen);

/*
 * The same through a cache of answers by the emulator's file (device,
 * inode, modification time), so that a start runs the probe once per
 * binary; a failed probe is not kept.  *cache starts NULL.
 */
struct emudata;
int	 emudata_lookup(struct emudata **cache, const char *emu, char *dir,
	    size_t dirlen, char *err, size_t errlen);
void	 emudata_free(struct emudata *);

#endif
