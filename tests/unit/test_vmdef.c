/*
 * Property strings, VM definitions (parsing, every error path, printing
 * round trip) and command-line generation against golden files in
 * tests/golden: NAME.conf beside NAME.cmdline, one argv element a line.
 * QLAUNCH_GOLDEN_UPDATE=1 rewrites the .cmdline files from the code.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "config.h"
#include "cmdline.h"
#include "props.h"
#include "testutil.h"
#include "util.h"
#include "vmdef.h"

static void
test_props(void **state)
{
	struct props p;
	char err[128];

	(void)state;
	assert_int_equal(props_parse("2048,maxmemory=4096", &p, err, sizeof(err)), 0);
	assert_int_equal(p.n, 2);
	assert_string_equal(props_pos(&p, 0), "2048");
	assert_null(props_pos(&p, 1));
	assert_string_equal(props_get(&p, "maxmemory"), "4096");
	assert_null(props_unused(&p));
	props_free(&p);

	/* ",," is a literal comma, in values and in positionals */
	assert_int_equal(props_parse("a,,b,path=/x,,y.img,k=v=w", &p, err,
	    sizeof(err)), 0);
	assert_int_equal(p.n, 3);
	assert_string_equal(props_pos(&p, 0), "a,b");
	assert_string_equal(props_get(&p, "path"), "/x,y.img");
	assert_string_equal(props_get(&p, "k"), "v=w");
	props_free(&p);

	/* last one wins; unused items are found */
	assert_int_equal(props_parse("vnc,port=1,port=2,bogus=1", &p, err,
	    sizeof(err)), 0);
	assert_string_equal(props_get(&p, "port"), "2");
	assert_string_equal(props_pos(&p, 0), "vnc");
	assert_string_equal(props_unused(&p)->key, "bogus");
	props_free(&p);

	assert_int_equal(props_parse("a,,,b", &p, err, sizeof(err)), 0);
	assert_string_equal(props_pos(&p, 0), "a,");
	assert_string_equal(props_pos(&p, 1), "b");
	props_free(&p);

	assert_int_equal(props_parse("a,,b", &p, err, sizeof(err)), 0);
	assert_int_equal(p.n, 1);
	props_free(&p);

	assert_int_equal(props_parse("", &p, err, sizeof(err)), -1);
	assert_string_equal(err, "empty value");
	assert_int_equal(props_parse("a,", &p, err, sizeof(err)), -1);
	assert_string_equal(err, "empty item in property list");
	assert_int_equal(props_parse("a,,,,", &p, err, sizeof(err)), 0);
	props_free(&p);
	assert_int_equal(props_parse("=x", &p, err, sizeof(err)), -1);
	assert_string_equal(err, "property '=x' has no name");

	char *e = props_escape("/a,b,,c");
	assert_string_equal(e, "/a,,b,,,,c");
	free(e);
}

static void
test_sizes_and_names(void **state)
{
	uint64_t b;
	const char *e;

	(void)state;
	assert_int_equal(parse_size("512", &b, &e), 0);
	assert_int_equal(b, 512ULL << 20);
	assert_int_equal(parse_size("2G", &b, &e), 0);
	assert_int_equal(b, 2ULL << 30);
	assert_int_equal(parse_size("2GiB", &b, &e), 0);
	assert_int_equal(b, 2ULL << 30);
	assert_int_equal(parse_size("64k", &b, &e), 0);
	assert_int_equal(b, 64ULL << 10);
	assert_int_equal(parse_size("100MB", &b, &e), 0);
	assert_int_equal(b, 100ULL << 20);
	assert_int_equal(parse_size("1T", &b, &e), 0);
	assert_int_equal(parse_size("12Q", &b, &e), -1);
	assert_int_equal(parse_size("-1", &b, &e), -1);
	assert_int_equal(parse_size("", &b, &e), -1);
	assert_int_equal(parse_size("1Gx", &b, &e), -1);
	assert_int_equal(parse_size("99999999999999999999", &b, &e), -1);

	assert_true(valid_name("web1"));
	assert_true(valid_name("a.b_c-d"));
	assert_false(valid_name(""));
	assert_false(valid_name("-x"));
	assert_false(valid_name("a/b"));
	assert_false(valid_name("a b"));
	assert_false(valid_name("a,b"));
	char n65[66];
	memset(n65, 'a', 65);
	n65[65] = '\0';
	assert_false(valid_name(n65));
	n65[64] = '\0';
	assert_true(valid_name(n65));

	char u[37];
	uuid_generate_str(u);
	assert_true(valid_uuid(u));
	assert_int_equal(u[14], '4');
	assert_false(valid_uuid("1234"));
}

static const char full[] =
    "# a test VM\n"
    "name: full\n"
    "uuid: 0A1B2C3D-0000-4000-8000-000000000001\n"
    "description: everything set, for the round trip\n"
    "memory: 1G,maxmemory=4096,slots=8\n"
    "vcpus: 2,maxvcpus=4,sockets=1,cores=2,threads=2\n"
    "cpu: host-passthrough,+vmx\n"
    "machine: q35,smm=off\n"
    "accel: tcg,tb-size=32\n"
    "kernel: /boot/vmlinuz\n"
    "initrd: /boot/initrd.img\n"
    "append: console=ttyS0 root=/dev/vda rw\n"
    "  graphics  :   vnc,listen=0.0.0.0,port=5901,password=se,,cret,websocket=5701  \n"
    "video: model.type=qxl,model.vram=65536,heads=2\n"
    "input: type=tablet,bus=virtio\n"
    "input: keyboard,bus=usb\n"
    "input: mouse\n"
    "console: serial\n"
    "balloon: off\n"
    "on_poweroff: preserve\n"
    "on_reboot: destroy\n"
    "on_crash: restart\n"
    "autostart: yes\n"
    "owner: alice\n"
    "emulator: /opt/qemu/bin/qemu-system-x86_64\n"
    "qemu-arg: -global\n"
    "qemu-arg: kvm-pit.lost_tick_policy=discard\n";

static void
test_parse_full(void **state)
{
	char err[512];
	struct vmdef *d = vmdef_parse(full, "full.conf", err, sizeof(err));

	(void)state;
	if (d == NULL)
		fail_msg("%s", err);
	assert_string_equal(d->name, "full");
	assert_string_equal(d->uuid, "0a1b2c3d-0000-4000-8000-000000000001");
	assert_int_equal(d->memory_mib, 1024);
	assert_int_equal(d->maxmem_mib, 4096);
	assert_int_equal(d->slots, 8);
	assert_int_equal(d->vcpus, 2);
	assert_int_equal(d->maxvcpus, 4);
	assert_string_equal(d->cpu, "host,+vmx");
	assert_string_equal(d->machine, "q35,smm=off");
	assert_int_equal(d->accel, ACCEL_TCG);
	assert_string_equal(d->accel_opts, "tb-size=32");
	assert_string_equal(d->append, "console=ttyS0 root=/dev/vda rw");
	struct vnc_conf vc;
	assert_int_equal(vmdef_vnc(d, &vc), 0);
	assert_string_equal(vc.listen, "0.0.0.0");
	assert_int_equal(vc.port, 5901);
	assert_string_equal(vc.password, "se,cret");
	assert_int_equal(vc.websocket, 5701);
	assert_int_equal(vmdef_has_balloon(d), 0);
	assert_int_equal(vmdef_has_serial(d), 1);
	assert_int_equal(d->current_mib, 0);
	assert_int_equal(d->on_poweroff, POLICY_PRESERVE);
	assert_int_equal(d->on_reboot, POLICY_DESTROY);
	assert_int_equal(d->on_crash, POLICY_RESTART);
	assert_int_equal(d->autostart, 1);
	assert_int_equal(d->nqemu_args, 2);
	assert_string_equal(d->qemu_args[1], "kvm-pit.lost_tick_policy=discard");

	/* print, parse, print: the same text and the same definition */
	char *t1 = vmdef_print(d);
	/* the device lines in canonical form */
	assert_non_null(strstr(t1, "\nconsole: serial\n"
	    "graphics: vnc,listen=0.0.0.0,port=5901,password=se,,cret,"
	    "websocket=5701\nvideo: qxl,vram=64M,heads=2\n"
	    "input: tablet,bus=virtio\ninput: keyboard,bus=usb\n"
	    "input: mouse\nballoon: off\n"));
	struct vmdef *d2 = vmdef_parse(t1, "printed", err, sizeof(err));
	if (d2 == NULL)
		fail_msg("reparse: %s\n%s", err, t1);
	char *t2 = vmdef_print(d2);
	assert_string_equal(t1, t2);
	struct vmdef *d3 = vmdef_dup(d2);
	char *t3 = vmdef_print(d3);
	assert_string_equal(t1, t3);
	free(t1);
	free(t2);
	free(t3);
	vmdef_free(d);
	vmdef_free(d2);
	vmdef_free(d3);
}

static void
test_defaults(void **state)
{
	char err[512];
	struct vmdef *d = vmdef_parse("name: tiny\n", "tiny.conf", err,
	    sizeof(err));

	(void)state;
	assert_non_null(d);
	assert_true(valid_uuid(d->uuid));	/* generated */
	assert_int_equal(d->memory_mib, 512);
	assert_int_equal(d->vcpus, 1);
	assert_string_equal(d->machine, "pc");
	assert_int_equal(d->accel, ACCEL_AUTO);
	assert_int_equal(vmdef_vnc(d, NULL), -1);
	assert_int_equal(vmdef_has_serial(d), 1);
	assert_int_equal(vmdef_has_balloon(d), 1);
	assert_int_equal(d->on_poweroff, POLICY_DESTROY);
	assert_int_equal(d->on_reboot, POLICY_RESTART);
	assert_int_equal(d->on_crash, POLICY_DESTROY);
	char *t = vmdef_print(d);
	struct vmdef *d2 = vmdef_parse(t, "p", err, sizeof(err));
	assert_non_null(d2);
	assert_string_equal(d->uuid, d2->uuid);
	free(t);
	vmdef_free(d);
	vmdef_free(d2);
}

/* Every error names the file, the line and the key, and says why. */
static void
test_errors(void **state)
{
	static const struct {
		const char *text;
		const char *want;
	} cases[] = {
		{ "name: a\nbogus: 1\n", "vm.conf:2: bogus: unknown key" },
		{ "name: a\nmemory 512\n", "vm.conf:2: expected 'key: value'" },
		{ "name: a\nname: b\n", "vm.conf:2: name: given twice" },
		{ "name: a b\n", "vm.conf:1: name: 'a b' is not a valid name ([A-Za-z0-9][A-Za-z0-9._-]{0,63})" },
		{ "name: a\nuuid: xyz\n", "vm.conf:2: uuid: 'xyz' is not a UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)" },
		{ "name: a\nmemory: lots\n", "vm.conf:2: memory: 'lots': not a size (a number of MiB, or with a K/M/G/T suffix)" },
		{ "name: a\nmemory: 8\n", "vm.conf:2: memory: '8' is less than 16 MiB" },
		{ "name: a\nmemory: 1536K\n", "vm.conf:2: memory: '1536K' is not a whole number of MiB" },
		{ "name: a\nmemory: 2G,maxmemory=1G\n", "vm.conf:2: memory: maxmemory 1024M is less than memory 2048M" },
		{ "name: a\nmemory: 512,slots=4\n", "vm.conf:2: memory: slots needs maxmemory" },
		{ "name: a\nmemory: 512,max=4G\n", "vm.conf:2: memory: unknown property 'max'" },
		{ "name: a\nmemory: 512,1024\n", "vm.conf:2: memory: unexpected value '1024'" },
		{ "name: a\nmemory: maxmemory=1G\n", "vm.conf:2: memory: no size given (e.g. 1024 or 2G)" },
		{ "name: a\nvcpus: 0\n", "vm.conf:2: vcpus: count '0': too small (1 to 288)" },
		{ "name: a\nvcpus: 4,maxvcpus=2\n", "vm.conf:2: vcpus: maxvcpus 2 is less than 4" },
		{ "name: a\nvcpus: 2,sockets=2,cores=2,threads=2\n", "vm.conf: vcpus: sockets*cores*threads = 8, but maxvcpus is 2" },
		{ "name: a\nvcpus: 2,maxvcpus=4,cores=8\n", "vm.conf: vcpus: sockets*cores*threads = 8 is more than maxvcpus 4" },
		{ "name: a\ncpu: ,+vmx\n", "vm.conf:2: cpu: empty item in property list" },
		{ "name: a\ncpu: +vmx\n", "vm.conf:2: cpu: '+vmx' does not start with a CPU model (host, max, Skylake-Server, ...)" },
		{ "name: a\nmachine: q 35\n", "vm.conf:2: machine: 'q 35' does not start with a machine type (pc, q35, microvm, ...)" },
		{ "name: a\naccel: hvf\n", "vm.conf:2: accel: 'hvf' is not kvm, tcg or auto" },
		{ "name: a\naccel: auto,tb-size=1\n", "vm.conf:2: accel: auto takes no properties; name kvm or tcg" },
		{ "name: a\nkernel: vmlinuz\n", "vm.conf:2: kernel: 'vmlinuz' is not an absolute path" },
		{ "name: a\ninitrd: /i\n", "vm.conf: initrd: needs kernel" },
		{ "name: a\nappend: quiet\n", "vm.conf: append: needs kernel" },
		{ "name: a\nboot: usb\n", "vm.conf:2: boot: unknown boot device 'usb' (hd, cdrom, network, fd)" },
		{ "name: a\nboot: hd,menu=maybe\n", "vm.conf:2: boot: menu 'maybe' is not on or off" },
		{ "name: a\ngraphics: spice\n", "vm.conf:2: graphics: 'spice' is not vnc or none" },
		{ "name: a\ngraphics: vnc,port=80\n", "vm.conf:2: graphics: port '80': too small (5900 to 65535)" },
		{ "name: a\ngraphics: vnc,listen=example.com\n", "vm.conf:2: graphics: listen 'example.com' is not an IP address" },
		{ "name: a\ngraphics: vnc,password=123456789\n", "vm.conf:2: graphics: a VNC password has 1 to 8 characters" },
		{ "name: a\ngraphics: none,port=5900\n", "vm.conf:2: graphics: unknown property 'port'" },
		{ "name: a\nconsole: tty\n", "vm.conf:2: console: 'tty' is not serial or none" },
		{ "name: a\nballoon: maybe\n", "vm.conf:2: balloon: 'maybe' is not yes or no" },
		{ "name: a\non_crash: explode\n", "vm.conf:2: on_crash: 'explode' is not destroy, restart or preserve" },
		{ "name: a\nautostart:\n", "vm.conf:2: autostart: empty value" },
		{ "name: a\nowner: a b\n", "vm.conf:2: owner: 'a b' is not a user name or uid" },
		{ "memory: 512\n", "vm.conf: name: missing" },
		/* currentMemory */
		{ "name: a\nmemory: 1G,currentMemory=2G\n", "vm.conf:2: memory: currentMemory 2048M is more than memory 1024M" },
		{ "name: a\nmemory: 1G,current=8\n", "vm.conf:2: memory: currentMemory '8' is less than 16 MiB" },
		{ "name: a\nmemory: 1G,current=half\n", "vm.conf:2: memory: currentMemory 'half': not a size (a number of MiB, or with a K/M/G/T suffix)" },
		{ "name: a\nmemory: 1G,current=512,currentMemory=512\n", "vm.conf:2: memory: currentMemory is given twice (current is its short name)" },
		{ "name: a\nmemory: 1G,currentMemory=512\nballoon: off\n", "vm.conf: memory: currentMemory needs a balloon (balloon: on)" },
		/* video */
		{ "name: a\nvideo: matrox\n", "vm.conf:2: video: 'matrox' is not std, virtio, cirrus, qxl, bochs, ramfb or none" },
		{ "name: a\nvideo: vram=16M\n", "vm.conf:2: video: no model given (std, virtio, cirrus, qxl, bochs, ramfb, none)" },
		{ "name: a\nvideo: virtio,model=qxl\n", "vm.conf:2: video: the model is given twice" },
		{ "name: a\nvideo: std,vram=16M,model.vram=32M\n", "vm.conf:2: video: vram is given twice" },
		{ "name: a\nvideo: virtio,vram=16384\n", "vm.conf:2: video: virtio has no vram (std, cirrus, qxl and bochs have)" },
		{ "name: a\nvideo: ramfb,vram=16M\n", "vm.conf:2: video: ramfb has no vram (std, cirrus, qxl and bochs have)" },
		{ "name: a\nvideo: none,vram=16M\n", "vm.conf:2: video: none has no vram (std, cirrus, qxl and bochs have)" },
		{ "name: a\nvideo: std,heads=2\n", "vm.conf:2: video: std has no heads (virtio and qxl have)" },
		{ "name: a\nvideo: virtio,heads=17\n", "vm.conf:2: video: heads '17': too large (1 to 16)" },
		{ "name: a\nvideo: qxl,heads=0\n", "vm.conf:2: video: heads '0': too small (1 to 16)" },
		{ "name: a\nvideo: cirrus,vram=32M\n", "vm.conf:2: video: vram '32M': cirrus takes a power of two from 4 to 16 MiB" },
		{ "name: a\nvideo: std,vram=3M\n", "vm.conf:2: video: vram '3M': std takes a power of two from 1 to 512 MiB" },
		{ "name: a\nvideo: bochs,vram=2048\n", "vm.conf:2: video: vram '2048': bochs takes a power of two from 4 to 256 MiB" },
		{ "name: a\nvideo: std,vram=1536\n", "vm.conf:2: video: vram '1536' is not a whole number of MiB (a bare number is KiB)" },
		{ "name: a\nvideo: std,vram=lots\n", "vm.conf:2: video: vram 'lots': not a size (a number of MiB, or with a K/M/G/T suffix)" },
		{ "name: a\nvideo: std,accel3d=on\n", "vm.conf:2: video: unknown property 'accel3d'" },
		{ "name: a\nvideo: std,virtio\n", "vm.conf:2: video: unexpected value 'virtio'" },
		{ "name: a\nvideo: std\nvideo: virtio\n", "vm.conf:3: video: given twice" },
		{ "name: a\nmachine: microvm\nvideo: virtio\n", "vm.conf: video: virtio is not possible on microvm, which has no PCI bus (video: none)" },
		{ "name: a\nmachine: microvm,x-option-roms=off\nvideo: ramfb\n", "vm.conf: video: ramfb is not possible on microvm, which has no PCI bus (video: none)" },
		/* input */
		{ "name: a\ninput: joystick\n", "vm.conf:2: input: 'joystick' is not tablet, mouse, keyboard or none" },
		{ "name: a\ninput: bus=usb\n", "vm.conf:2: input: no type given (tablet, mouse, keyboard, none)" },
		{ "name: a\ninput: tablet,type=mouse\n", "vm.conf:2: input: the type is given twice" },
		{ "name: a\ninput: tablet,bus=ps2\n", "vm.conf:2: input: a tablet is on usb or virtio, not ps2" },
		{ "name: a\ninput: mouse,bus=serial\n", "vm.conf:2: input: bus 'serial' is not usb, virtio or ps2" },
		{ "name: a\ninput: none,bus=usb\n", "vm.conf:2: input: unknown property 'bus'" },
		{ "name: a\ninput: tablet,model=x\n", "vm.conf:2: input: unknown property 'model'" },
		{ "name: a\ninput: none\ninput: tablet\n", "vm.conf: input: none cannot be combined with other input devices" },
		{ "name: a\ninput: mouse\ninput: mouse,bus=ps2\n", "vm.conf: input: the machine has one PS/2 mouse; it is given twice" },
		{ "name: a\nmachine: microvm\ninput: tablet,bus=usb\n", "vm.conf: input: bus usb is not possible on microvm, which has no PCI bus (bus=virtio)" },
		{ "name: a\nmachine: microvm\ninput: keyboard,bus=ps2\n", "vm.conf: input: bus ps2 is not possible on microvm, which has no PS/2 controller (bus=virtio)" },
	};
	char err[512];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vmdef *d = vmdef_parse(cases[i].text, "vm.conf", err,
		    sizeof(err));
		if (d != NULL)
			fail_msg("case %zu parsed: %s", i, cases[i].text);
		if (strcmp(err, cases[i].want) != 0)
			fail_msg("case %zu:\n got  '%s'\n want '%s'", i, err,
			    cases[i].want);
	}
	/* the setter used by the client's flags reports the same way */
	struct vmdef *d = vmdef_new();
	assert_int_equal(vmdef_set(d, "memory", "4G\nname: x", err, sizeof(err)), -1);
	assert_string_equal(err, "memory: value spans lines");
	assert_int_equal(vmdef_set(d, "disk9", "x", err, sizeof(err)), -1);
	assert_string_equal(err, "disk9: unknown key");
	assert_int_equal(vmdef_set(d, "memory", "4G", err, sizeof(err)), 0);
	assert_int_equal(d->memory_mib, 4096);
	assert_int_equal(vmdef_set(d, "video", "virtio,vram=1M", err,
	    sizeof(err)), -1);
	assert_string_equal(err, "video: virtio has no vram (std, cirrus, qxl "
	    "and bochs have)");
	/* a repeatable device key has a limit */
	for (int i = 0; i < 32; i++)
		assert_int_equal(vmdef_set(d, "input", "tablet", err,
		    sizeof(err)), 0);
	assert_int_equal(vmdef_set(d, "input", "tablet", err, sizeof(err)), -1);
	assert_string_equal(err, "input: at most 32 lines");
	vmdef_free(d);
	assert_true(vmdef_known_key("video"));
	assert_true(vmdef_known_key("input"));
	assert_true(vmdef_key_repeats("input"));
	assert_true(vmdef_key_repeats("qemu-arg"));
	assert_false(vmdef_key_repeats("video"));
	assert_false(vmdef_key_repeats("memory"));
	assert_false(vmdef_key_repeats("bogus"));
}

static char *
print_of(const char *text)
{
	char err[512];
	struct vmdef *d = vmdef_parse(text, "t.conf", err, sizeof(err));

	if (d == NULL)
		fail_msg("%s", err);
	char *t = vmdef_print(d);
	/* and it reads back to the same */
	struct vmdef *d2 = vmdef_parse(t, "printed", err, sizeof(err));
	if (d2 == NULL)
		fail_msg("reparse: %s\n%s", err, t);
	char *t2 = vmdef_print(d2);
	assert_string_equal(t, t2);
	free(t2);
	vmdef_free(d2);
	vmdef_free(d);
	return t;
}

static int
has_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = text; (p = strstr(p, line)) != NULL; p++)
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return 1;
	return 0;
}

/* The devices a definition has without their keys, and their spellings. */
static void
test_device_defaults(void **state)
{
	static const struct {
		const char	*text;
		const char	*lines[4];	/* in the canonical text */
		const char	*absent[3];	/* keys not in it */
	} cases[] = {
		{ "name: a\n", { "console: serial", "graphics: none",
		    "balloon: on" }, { "video:", "input:" } },
		/* virt-install's defaults with a display: std VGA, USB tablet */
		{ "name: a\ngraphics: vnc\n", { "video: std",
		    "input: tablet,bus=usb" }, { NULL } },
		{ "name: a\nmachine: q35\ngraphics: vnc\n", { "video: std",
		    "input: tablet,bus=usb" }, { NULL } },
		/* no PCI display on microvm, and no USB */
		{ "name: a\nmachine: microvm\ngraphics: vnc\n",
		    { "graphics: vnc,listen=127.0.0.1,port=auto" },
		    { "video:", "input:" } },
		{ "name: a\nmachine: microvm\ninput: tablet\n",
		    { "input: tablet" }, { "video:" } },
		/* a line replaces the default */
		{ "name: a\ngraphics: vnc\nvideo: none\ninput: none\n",
		    { "video: none", "input: none" }, { NULL } },
		{ "name: a\ngraphics: vnc\nvideo: model=virtio\n"
		    "input: type=keyboard,bus=virtio\n",
		    { "video: virtio", "input: keyboard,bus=virtio" },
		    { "input: tablet" } },
		{ "name: a\nvideo: vga,vram=16384\n", { "video: std,vram=16M" },
		    { "input:" } },
		{ "name: a\nvideo: bochs,model.vram=8M\n",
		    { "video: bochs,vram=8M" }, { NULL } },
		{ "name: a\nconsole: none\nballoon: no\n",
		    { "console: none", "balloon: off" }, { NULL } },
		{ "name: a\nmemory: 2G,currentMemory=1G\n",
		    { "memory: 2048,currentMemory=1024" }, { NULL } },
		{ "name: a\nmemory: 2G,current=2048,maxmemory=4G\n",
		    { "memory: 2048,maxmemory=4096,slots=16" }, { NULL } },
		{ "name: a\nmemory: 1G,currentMemory=0\n", { "memory: 1024" },
		    { NULL } },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *t = print_of(cases[i].text);
		for (size_t j = 0; j < 4 && cases[i].lines[j] != NULL; j++)
			if (!has_line(t, cases[i].lines[j]))
				fail_msg("case %zu: no '%s' in:\n%s", i,
				    cases[i].lines[j], t);
		for (size_t j = 0; j < 3 && cases[i].absent[j] != NULL; j++)
			if (strstr(t, cases[i].absent[j]) != NULL)
				fail_msg("case %zu: '%s' in:\n%s", i,
				    cases[i].absent[j], t);
		free(t);
	}
}

static char *
qmp_text(const struct vmdef *d)
{
	struct json_object *c = vmdef_runtime_qmp(d);
	char *s = xstrdup(json_object_to_json_string_ext(c,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));

	json_object_put(c);
	return s;
}

/* currentMemory: parsed, kept in the text, given to the balloon. */
static void
test_current_memory(void **state)
{
	char err[512];
	struct vmdef *d = vmdef_parse("name: m\n# sizes\nmemory: 2G\n"
	    "graphics: vnc,password=pw\n", "m.conf", err, sizeof(err));

	(void)state;
	assert_non_null(d);
	assert_int_equal(d->current_mib, 0);
	char *q = qmp_text(d);
	assert_string_equal(q, "[{\"execute\":\"set_password\",\"arguments\":"
	    "{\"protocol\":\"vnc\",\"password\":\"pw\"}},"
	    "{\"execute\":\"qom-set\",\"arguments\":{\"path\":"
	    "\"/machine/peripheral/balloon0\",\"property\":"
	    "\"guest-stats-polling-interval\",\"value\":2}}]");
	free(q);

	assert_int_equal(vmdef_set_current_memory(d, 1024, err, sizeof(err)), 0);
	assert_int_equal(d->current_mib, 1024);
	char *t = vmdef_text(d);
	assert_non_null(strstr(t, "# sizes\nmemory: 2048,currentMemory=1024\n"));
	free(t);
	q = qmp_text(d);
	assert_non_null(strstr(q, "{\"execute\":\"balloon\",\"arguments\":"
	    "{\"value\":1073741824}}"));
	free(q);

	/* back to all of it: no balloon command, no currentMemory */
	assert_int_equal(vmdef_set_current_memory(d, 2048, err, sizeof(err)), 0);
	assert_int_equal(d->current_mib, 0);
	t = vmdef_text(d);
	assert_non_null(strstr(t, "\nmemory: 2048\n"));
	free(t);
	q = qmp_text(d);
	assert_null(strstr(q, "\"balloon\""));
	free(q);

	assert_int_equal(vmdef_set_current_memory(d, 4096, err, sizeof(err)), -1);
	assert_string_equal(err, "memory: currentMemory 4096M is more than "
	    "memory 2048M");
	assert_int_equal(vmdef_set_current_memory(d, 8, err, sizeof(err)), -1);
	assert_string_equal(err, "memory: currentMemory 8M is less than 16 MiB");
	assert_int_equal(vmdef_set(d, "balloon", "off", err, sizeof(err)), 0);
	assert_int_equal(vmdef_set_current_memory(d, 512, err, sizeof(err)), -1);
	assert_string_equal(err, "memory: currentMemory needs a balloon "
	    "(balloon: on)");
	assert_int_equal(vmdef_set_current_memory(d, 0, err, sizeof(err)), 0);
	q = qmp_text(d);
	assert_null(strstr(q, "balloon"));
	free(q);
	vmdef_free(d);
}

/* ---- golden command lines ---- */

static char *
render_cmdline(const char *conf_path, char *err, size_t errlen)
{
	char *text = read_file(conf_path, NULL);
	struct vmpaths p;
	struct argv a;

	assert_non_null(text);
	struct vmdef *d = vmdef_parse(text, conf_path, err, errlen);
	free(text);
	if (d == NULL)
		return NULL;
	assert_int_equal(vmpaths_init(&p, "/run/qlaunch/vms", d->name, err,
	    errlen), 0);
	/* auto resolves to kvm here; the supervisor probes /dev/kvm */
	enum accel acc = d->accel == ACCEL_AUTO ? ACCEL_KVM : d->accel;
	if (cmdline_build(d, &p, acc, "/usr/bin/qemu-system-x86_64", &a, err,
	    errlen) == -1) {
		vmdef_free(d);
		return NULL;
	}
	size_t len = 0;
	for (size_t i = 0; i < a.n; i++)
		len += strlen(a.v[i]) + 1;
	char *out = xcalloc(1, len + 1), *o = out;
	for (size_t i = 0; i < a.n; i++)
		o += sprintf(o, "%s\n", a.v[i]);
	argv_free(&a);
	vmdef_free(d);
	return out;
}

static void
test_golden(void **state)
{
	char dir[4096], conf[4600], want_path[4600], err[512];
	int n = 0, update = getenv("QLAUNCH_GOLDEN_UPDATE") != NULL;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/tests/golden", QLAUNCH_SRCDIR);
	DIR *dp = opendir(dir);
	assert_non_null(dp);
	struct dirent *de;
	while ((de = readdir(dp)) != NULL) {
		size_t l = strlen(de->d_name);
		if (l < 6 || strcmp(de->d_name + l - 5, ".conf") != 0)
			continue;
		snprintf(conf, sizeof(conf), "%s/%s", dir, de->d_name);
		snprintf(want_path, sizeof(want_path), "%s/%.*s.cmdline", dir,
		    (int)(l - 5), de->d_name);
		char *got = render_cmdline(conf, err, sizeof(err));
		if (got == NULL)
			fail_msg("%s: %s", conf, err);
		if (update)
			assert_int_equal(write_file_atomic(want_path, got,
			    strlen(got), 0644), 0);
		char *want = read_file(want_path, NULL);
		if (want == NULL)
			fail_msg("%s: missing (QLAUNCH_GOLDEN_UPDATE=1 writes it)",
			    want_path);
		if (strcmp(got, want) != 0)
			fail_msg("%s differs from what the code generates:\n%s\n"
			    "(QLAUNCH_GOLDEN_UPDATE=1 rewrites it)", want_path, got);
		free(got);
		free(want);
		n++;
	}
	closedir(dp);
	print_message("%d golden command lines\n", n);
	assert_true(n >= 5);
}

/* Paths QEMU parses as key=value lists get their commas doubled. */
static void
test_path_escaping(void **state)
{
	char err[512];
	struct vmpaths p;
	struct argv a;
	struct vmdef *d = vmdef_parse("name: esc\n", "e", err, sizeof(err));

	(void)state;
	assert_int_equal(vmpaths_init(&p, "/tmp/a,b", "esc", err, sizeof(err)), 0);
	assert_int_equal(cmdline_build(d, &p, ACCEL_TCG, "/q", &a, err,
	    sizeof(err)), 0);
	int found = 0;
	for (size_t i = 0; i < a.n; i++) {
		if (strcmp(a.v[i], "socket,id=qmp,path=/tmp/a,,b/esc/qemu/qmp.sock,"
		    "server=on,wait=off") == 0)
			found++;
		if (strcmp(a.v[i], "/tmp/a,b/esc/qemu/qemu.pid") == 0)
			found++;	/* -pidfile takes the path as is */
	}
	assert_int_equal(found, 2);
	argv_free(&a);

	/* a runtime directory too deep for sun_path is refused clearly */
	char deep[200];
	memset(deep, 'd', sizeof(deep) - 1);
	deep[0] = '/';
	deep[sizeof(deep) - 1] = '\0';
	assert_int_equal(vmpaths_init(&p, deep, "esc", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "too long for a UNIX socket"));
	assert_non_null(strstr(err, "/esc/qemu/console.sock"));
	vmdef_free(d);
}

/* The stored text keeps comments; one key changes in place. */
static void
test_text_kept(void **state)
{
	char err[512];
	const char *in = "# web box\nname: w\n  autostart : no\n"
	    "# autostart: yes\nmemory: 1G\n";
	struct vmdef *d = vmdef_parse(in, "w.conf", err, sizeof(err));

	(void)state;
	assert_non_null(d);
	assert_int_equal(d->uuid_generated, 1);
	char *t = vmdef_text(d);
	/* the author's text, with the generated uuid added */
	assert_int_equal(strncmp(t, in, strlen(in)), 0);
	assert_non_null(strstr(t, d->uuid));
	free(t);
	vmdef_text_set(d, "autostart", "yes");
	vmdef_text_set(d, "vcpus", "2");
	t = vmdef_text(d);
	char want[512];
	snprintf(want, sizeof(want), "# web box\nname: w\nautostart: yes\n"
	    "# autostart: yes\nmemory: 1G\nuuid: %s\nvcpus: 2\n", d->uuid);
	assert_string_equal(t, want);
	/* and it still parses to the same definition */
	struct vmdef *d2 = vmdef_parse(t, "again", err, sizeof(err));
	assert_non_null(d2);
	assert_string_equal(d2->uuid, d->uuid);
	assert_int_equal(d2->autostart, 1);
	assert_int_equal(d2->uuid_generated, 0);
	vmdef_free(d2);
	free(t);
	vmdef_free(d);
}

static void
test_rmtree(void **state)
{
	char *dir = tu_mkdtemp("rmtree"), p[512], outside[512];

	(void)state;
	snprintf(outside, sizeof(outside), "%s.keep", dir);
	assert_int_equal(write_file_atomic(outside, "keep", 4, 0600), 0);
	snprintf(p, sizeof(p), "%s/t/a/b", dir);
	assert_int_equal(mkdirs(p, 0700), 0);
	snprintf(p, sizeof(p), "%s/t/a/b/f", dir);
	assert_int_equal(write_file_atomic(p, "x", 1, 0600), 0);
	snprintf(p, sizeof(p), "%s/t/a/link", dir);
	assert_int_equal(symlink(outside, p), 0);
	snprintf(p, sizeof(p), "%s/t/dirlink", dir);
	assert_int_equal(symlink(dir, p), 0);
	snprintf(p, sizeof(p), "%s/t", dir);
	assert_int_equal(rmtree(p), 0);
	assert_int_equal(access(p, F_OK), -1);
	char *k = read_file(outside, NULL);
	assert_non_null(k);
	assert_string_equal(k, "keep");
	free(k);
	assert_int_equal(rmtree(p), 0);		/* absent is fine */
	unlink(outside);
	tu_rmtree(dir);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_props),
		cmocka_unit_test(test_sizes_and_names),
		cmocka_unit_test(test_parse_full),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_device_defaults),
		cmocka_unit_test(test_current_memory),
		cmocka_unit_test(test_golden),
		cmocka_unit_test(test_path_escaping),
		cmocka_unit_test(test_rmtree),
		cmocka_unit_test(test_text_kept),
	};
	return cmocka_run_group_tests_name("vmdef", tests, NULL, NULL);
}
