/*
 * send-key's codesets.  Linux key names and numbers map to QEMU's
 * QKeyCode names through the table below (from QEMU's keycodemapdb);
 * xt and qnum numbers pass as numbers, which QEMU reads as its qnum (set
 * 1 scancodes, 0x80 added for the 0xe0-prefixed keys; XT's 1-83 are the
 * same).  The QKeyCode names are those of QEMU 7.2's qapi/ui.json, the
 * oldest QEMU we run.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "keys.h"
#include "util.h"

const char keys_codesets[] = "linux, xt, qnum, qcode";

static const struct {
	const char	*name;
	enum keyset	 ks;
} codesets[] = {
	{ "linux",	KEYSET_LINUX },
	{ "xt",		KEYSET_XT },
	{ "qnum",	KEYSET_QNUM },
	{ "qcode",	KEYSET_QCODE },
};

/* Linux input event codes (linux/input-event-codes.h) and their QKeyCode */
static const struct key {
	const char	*name;
	int		 code;
	const char	*qcode;
} linux_keys[] = {
	{ "KEY_ESC",		1,	"esc" },
	{ "KEY_1",		2,	"1" },
	{ "KEY_2",		3,	"2" },
	{ "KEY_3",		4,	"3" },
	{ "KEY_4",		5,	"4" },
	{ "KEY_5",		6,	"5" },
	{ "KEY_6",		7,	"6" },
	{ "KEY_7",		8,	"7" },
	{ "KEY_8",		9,	"8" },
	{ "KEY_9",		10,	"9" },
	{ "KEY_0",		11,	"0" },
	{ "KEY_MINUS",		12,	"minus" },
	{ "KEY_EQUAL",		13,	"equal" },
	{ "KEY_BACKSPACE",	14,	"backspace" },
	{ "KEY_TAB",		15,	"tab" },
	{ "KEY_Q",		16,	"q" },
	{ "KEY_W",		17,	"w" },
	{ "KEY_E",		18,	"e" },
	{ "KEY_R",		19,	"r" },
	{ "KEY_T",		20,	"t" },
	{ "KEY_Y",		21,	"y" },
	{ "KEY_U",		22,	"u" },
	{ "KEY_I",		23,	"i" },
	{ "KEY_O",		24,	"o" },
	{ "KEY_P",		25,	"p" },
	{ "KEY_LEFTBRACE",	26,	"bracket_left" },
	{ "KEY_RIGHTBRACE",	27,	"bracket_right" },
	{ "KEY_ENTER",		28,	"ret" },
	{ "KEY_LEFTCTRL",	29,	"ctrl" },
	{ "KEY_A",		30,	"a" },
	{ "KEY_S",		31,	"s" },
	{ "KEY_D",		32,	"d" },
	{ "KEY_F",		33,	"f" },
	{ "KEY_G",		34,	"g" },
	{ "KEY_H",		35,	"h" },
	{ "KEY_J",		36,	"j" },
	{ "KEY_K",		37,	"k" },
	{ "KEY_L",		38,	"l" },
	{ "KEY_SEMICOLON",	39,	"semicolon" },
	{ "KEY_APOSTROPHE",	40,	"apostrophe" },
	{ "KEY_GRAVE",		41,	"grave_accent" },
	{ "KEY_LEFTSHIFT",	42,	"shift" },
	{ "KEY_BACKSLASH",	43,	"backslash" },
	{ "KEY_Z",		44,	"z" },
	{ "KEY_X",		45,	"x" },
	{ "KEY_C",		46,	"c" },
	{ "KEY_V",		47,	"v" },
	{ "KEY_B",		48,	"b" },
	{ "KEY_N",		49,	"n" },
	{ "KEY_M",		50,	"m" },
	{ "KEY_COMMA",		51,	"comma" },
	{ "KEY_DOT",		52,	"dot" },
	{ "KEY_SLASH",		53,	"slash" },
	{ "KEY_RIGHTSHIFT",	54,	"shift_r" },
	{ "KEY_KPASTERISK",	55,	"kp_multiply" },
	{ "KEY_LEFTALT",	56,	"alt" },
	{ "KEY_SPACE",		57,	"spc" },
	{ "KEY_CAPSLOCK",	58,	"caps_lock" },
	{ "KEY_F1",		59,	"f1" },
	{ "KEY_F2",		60,	"f2" },
	{ "KEY_F3",		61,	"f3" },
	{ "KEY_F4",		62,	"f4" },
	{ "KEY_F5",		63,	"f5" },
	{ "KEY_F6",		64,	"f6" },
	{ "KEY_F7",		65,	"f7" },
	{ "KEY_F8",		66,	"f8" },
	{ "KEY_F9",		67,	"f9" },
	{ "KEY_F10",		68,	"f10" },
	{ "KEY_NUMLOCK",	69,	"num_lock" },
	{ "KEY_SCROLLLOCK",	70,	"scroll_lock" },
	{ "KEY_KP7",		71,	"kp_7" },
	{ "KEY_KP8",		72,	"kp_8" },
	{ "KEY_KP9",		73,	"kp_9" },
	{ "KEY_KPMINUS",	74,	"kp_subtract" },
	{ "KEY_KP4",		75,	"kp_4" },
	{ "KEY_KP5",		76,	"kp_5" },
	{ "KEY_KP6",		77,	"kp_6" },
	{ "KEY_KPPLUS",		78,	"kp_add" },
	{ "KEY_KP1",		79,	"kp_1" },
	{ "KEY_KP2",		80,	"kp_2" },
	{ "KEY_KP3",		81,	"kp_3" },
	{ "KEY_KP0",		82,	"kp_0" },
	{ "KEY_KPDOT",		83,	"kp_decimal" },
	{ "KEY_102ND",		86,	"less" },
	{ "KEY_F11",		87,	"f11" },
	{ "KEY_F12",		88,	"f12" },
	{ "KEY_RO",		89,	"ro" },
	{ "KEY_HIRAGANA",	91,	"hiragana" },
	{ "KEY_HENKAN",		92,	"henkan" },
	{ "KEY_KATAKANAHIRAGANA",	93,	"katakanahiragana" },
	{ "KEY_MUHENKAN",	94,	"muhenkan" },
	{ "KEY_KPENTER",	96,	"kp_enter" },
	{ "KEY_RIGHTCTRL",	97,	"ctrl_r" },
	{ "KEY_KPSLASH",	98,	"kp_divide" },
	{ "KEY_SYSRQ",		99,	"sysrq" },
	{ "KEY_RIGHTALT",	100,	"alt_r" },
	{ "KEY_LINEFEED",	101,	"lf" },
	{ "KEY_HOME",		102,	"home" },
	{ "KEY_UP",		103,	"up" },
	{ "KEY_PAGEUP",		104,	"pgup" },
	{ "KEY_LEFT",		105,	"left" },
	{ "KEY_RIGHT",		106,	"right" },
	{ "KEY_END",		107,	"end" },
	{ "KEY_DOWN",		108,	"down" },
	{ "KEY_PAGEDOWN",	109,	"pgdn" },
	{ "KEY_INSERT",		110,	"insert" },
	{ "KEY_DELETE",		111,	"delete" },
	{ "KEY_MUTE",		113,	"audiomute" },
	{ "KEY_VOLUMEDOWN",	114,	"volumedown" },
	{ "KEY_VOLUMEUP",	115,	"volumeup" },
	{ "KEY_POWER",		116,	"power" },
	{ "KEY_KPEQUAL",	117,	"kp_equals" },
	{ "KEY_PAUSE",		119,	"pause" },
	{ "KEY_KPCOMMA",	121,	"kp_comma" },
	{ "KEY_HANGEUL",	122,	"lang1" },
	{ "KEY_HANJA",		123,	"lang2" },
	{ "KEY_YEN",		124,	"yen" },
	{ "KEY_LEFTMETA",	125,	"meta_l" },
	{ "KEY_RIGHTMETA",	126,	"meta_r" },
	{ "KEY_COMPOSE",	127,	"compose" },
	{ "KEY_STOP",		128,	"stop" },
	{ "KEY_AGAIN",		129,	"again" },
	{ "KEY_PROPS",		130,	"props" },
	{ "KEY_UNDO",		131,	"undo" },
	{ "KEY_FRONT",		132,	"front" },
	{ "KEY_COPY",		133,	"copy" },
	{ "KEY_OPEN",		134,	"open" },
	{ "KEY_PASTE",		135,	"paste" },
	{ "KEY_FIND",		136,	"find" },
	{ "KEY_CUT",		137,	"cut" },
	{ "KEY_HELP",		138,	"help" },
	{ "KEY_MENU",		139,	"menu" },
	{ "KEY_CALC",		140,	"calculator" },
	{ "KEY_SLEEP",		142,	"sleep" },
	{ "KEY_WAKEUP",		143,	"wake" },
	{ "KEY_MAIL",		155,	"mail" },
	{ "KEY_BOOKMARKS",	156,	"ac_bookmarks" },
	{ "KEY_COMPUTER",	157,	"computer" },
	{ "KEY_BACK",		158,	"ac_back" },
	{ "KEY_FORWARD",	159,	"ac_forward" },
	{ "KEY_NEXTSONG",	163,	"audionext" },
	{ "KEY_PLAYPAUSE",	164,	"audioplay" },
	{ "KEY_PREVIOUSSONG",	165,	"audioprev" },
	{ "KEY_STOPCD",		166,	"audiostop" },
	{ "KEY_HOMEPAGE",	172,	"ac_home" },
	{ "KEY_REFRESH",	173,	"ac_refresh" },
	{ "KEY_MEDIA",		226,	"mediaselect" },
};

/* QKeyCode, QEMU 7.2, in its order ("unmapped" is not a key to send) */
static const char *const qcodes[] = {
	"unmapped", "shift", "shift_r", "alt", "alt_r", "ctrl", "ctrl_r",
	"menu", "esc", "1", "2", "3", "4", "5", "6", "7", "8", "9", "0",
	"minus", "equal", "backspace", "tab", "q", "w", "e", "r", "t", "y",
	"u", "i", "o", "p", "bracket_left", "bracket_right", "ret", "a", "s",
	"d", "f", "g", "h", "j", "k", "l", "semicolon", "apostrophe",
	"grave_accent", "backslash", "z", "x", "c", "v", "b", "n", "m",
	"comma", "dot", "slash", "asterisk", "spc", "caps_lock", "f1", "f2",
	"f3", "f4", "f5", "f6", "f7", "f8", "f9", "f10", "num_lock",
	"scroll_lock", "kp_divide", "kp_multiply", "kp_subtract", "kp_add",
	"kp_enter", "kp_decimal", "sysrq", "kp_0", "kp_1", "kp_2", "kp_3",
	"kp_4", "kp_5", "kp_6", "kp_7", "kp_8", "kp_9", "less", "f11", "f12",
	"print", "home", "pgup", "pgdn", "end", "left", "up", "down",
	"right", "insert", "delete", "stop", "again", "props", "undo",
	"front", "copy", "open", "paste", "find", "cut", "lf", "help",
	"meta_l", "meta_r", "compose", "pause", "ro", "hiragana", "henkan",
	"yen", "muhenkan", "katakanahiragana", "kp_comma", "kp_equals",
	"power", "sleep", "wake", "audionext", "audioprev", "audiostop",
	"audioplay", "audiomute", "volumeup", "volumedown", "mediaselect",
	"mail", "calculator", "computer", "ac_home", "ac_back", "ac_forward",
	"ac_refresh", "ac_bookmarks", "lang1", "lang2",
};

int
keys_codeset(const char *s, enum keyset *out)
{
	for (size_t i = 0; i < nitems(codesets); i++)
		if (strcmp(codesets[i].name, s) == 0) {
			*out = codesets[i].ks;
			return 0;
		}
	return -1;
}

/* A keycode number as virsh reads one: decimal, 0x hex or 0 octal. */
static int
keynum(const char *s, long min, long max, long *out)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	long v = strtol(s, &end, 0);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static struct json_object *
keyvalue(const char *type, struct json_object *data)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "type", json_object_new_string(type));
	json_object_object_add(o, "data", data);
	return o;
}

static struct json_object *
linux_key(const char *word)
{
	long n = -1;
	int bynum = keynum(word, 0, 0x2ff, &n) == 0;

	for (size_t i = 0; i < nitems(linux_keys); i++)
		if (bynum ? linux_keys[i].code == n :
		    strcasecmp(linux_keys[i].name, word) == 0)
			return keyvalue("qcode",
			    json_object_new_string(linux_keys[i].qcode));
	return NULL;
}

static struct json_object *
qcode_key(const char *word)
{
	/* from 1: "unmapped" is no key */
	for (size_t i = 1; i < nitems(qcodes); i++)
		if (strcasecmp(qcodes[i], word) == 0)
			return keyvalue("qcode",
			    json_object_new_string(qcodes[i]));
	return NULL;
}

struct json_object *
keys_value(enum keyset ks, const char *word)
{
	long n;

	switch (ks) {
	case KEYSET_LINUX:
		return linux_key(word);
	case KEYSET_XT:
		if (keynum(word, 1, 83, &n) == -1)
			return NULL;
		return keyvalue("number", json_object_new_int64(n));
	case KEYSET_QNUM:
		if (keynum(word, 1, 0xff, &n) == -1)
			return NULL;
		return keyvalue("number", json_object_new_int64(n));
	case KEYSET_QCODE:
		return qcode_key(word);
	}
	return NULL;
}
