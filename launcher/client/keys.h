/*
 * Keys for send-key: virsh's keycodes, in the codeset given, turned into
 * QEMU's KeyValue objects for QMP send-key.
 */
#ifndef LAUNCHER_KEYS_H
#define LAUNCHER_KEYS_H

struct json_object;

enum keyset {
	KEYSET_LINUX,	/* KEY_LEFTCTRL, KEY_A, or Linux keycode numbers */
	KEYSET_XT,	/* XT scancode numbers, 1-83 */
	KEYSET_QNUM,	/* QEMU's own numbers (set 1, 0x80 for 0xe0-prefixed) */
	KEYSET_QCODE,	/* QEMU's QKeyCode names: ctrl, alt, delete, a, ret */
};

/* The names of the codesets, for messages: "linux, xt, qnum, qcode". */
extern const char keys_codesets[];

/* The codeset named s (as virsh's --codeset); -1 when there is none. */
int	 keys_codeset(const char *s, enum keyset *out);
/*
 * The KeyValue for word in codeset ks, {"type": "qcode", "data": NAME}
 * or {"type": "number", "data": N} (a new object); NULL when word is not
 * a key of that codeset (or has no QEMU key).
 */
struct json_object *keys_value(enum keyset ks, const char *word);

#endif
