/*
 * create's translation of virt-install's command lines (virtinst.c) and
 * the --os-variant table (osvariant.c): argv in, definition settings,
 * create arguments and client flags out, and every error path.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "osvariant.h"
#include "testutil.h"
#include "virtinst.h"

#define MAXARGS	64

static char err[1024];

/* create WORD... NULL into vi; the status virtinst_parse returned. */
static int
parse(struct virtinst *vi, ...)
{
	char *argv[MAXARGS];
	int argc = 0;
	va_list ap;
	const char *w;

	argv[argc++] = (char *)"create";
	va_start(ap, vi);
	while ((w = va_arg(ap, const char *)) != NULL) {
		assert_true(argc < MAXARGS);
		argv[argc++] = (char *)w;
	}
	va_end(ap);
	err[0] = '\0';
	return virtinst_parse(argc, argv, vi, err, sizeof(err));
}

static const char *
js(struct json_object *o)
{
	return json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
}

/* The status is want, and err holds text (for errors). */
#define FAILS(want, text, ...) do { \
	struct virtinst vi_; \
	assert_int_equal(parse(&vi_, __VA_ARGS__, NULL), want); \
	if (strstr(err, text) == NULL) \
		fail_msg("error '%s' lacks '%s'", err, text); \
} while (0)

static void
test_tutorial_line(void **state)
{
	struct virtinst vi;

	(void)state;
	assert_int_equal(parse(&vi, "--name", "vm1", "--ram", "2048",
	    "--vcpus", "2", "--disk",
	    "path=/var/lib/libvirt/images/vm1.qcow2,size=20,format=qcow2",
	    "--os-variant", "ubuntu22.04", "--network",
	    "bridge=br0,model=virtio", "--graphics", "vnc,listen=0.0.0.0",
	    "--noautoconsole", "--cdrom", "/tmp/x.iso", NULL), VI_OK);
	assert_string_equal(vi.name, "vm1");
	assert_string_equal(js(vi.settings), "{\"memory\":\"2048\","
	    "\"vcpus\":\"2\",\"graphics\":\"vnc,listen=0.0.0.0\","
	    "\"disk\":[\"path=/var/lib/libvirt/images/vm1.qcow2,size=20,"
	    "format=qcow2,bus=virtio\",\"path=/tmp/x.iso,device=cdrom\"],"
	    "\"network\":[\"bridge=br0,model=virtio\"],\"video\":\"virtio\"}");
	assert_string_equal(js(vi.args), "{\"install\":\"cdrom\"}");
	assert_true(vi.start);
	assert_false(vi.paused);
	assert_false(vi.attach);
	assert_false(vi.wait);
	assert_int_equal(vi.nwarnings, 0);
	virtinst_free(&vi);
}

/* Long and short forms, with the value apart or after '='. */
static void
test_forms(void **state)
{
	struct virtinst vi;

	(void)state;
	assert_int_equal(parse(&vi, "-n", "a1", "-r", "512", "-w",
	    "network=default", "-u", "0b6e1c2a-7a39-4f1c-9d8e-2b9b1f0f4a11",
	    "--vcpus=2,maxvcpus=4", "--machine=q35", "-l", "/srv/d.iso",
	    "-x", "console=ttyS0", NULL), VI_OK);
	assert_string_equal(js(vi.settings), "{\"memory\":\"512\","
	    "\"uuid\":\"0b6e1c2a-7a39-4f1c-9d8e-2b9b1f0f4a11\","
	    "\"vcpus\":\"2,maxvcpus=4\",\"machine\":\"q35\","
	    "\"network\":[\"network=default\"]}");
	assert_string_equal(js(vi.args), "{\"location\":\"/srv/d.iso\","
	    "\"extra_args\":\"console=ttyS0\"}");
	/* --location installs: started, console attached (no display) */
	assert_true(vi.start);
	assert_true(vi.attach);
	virtinst_free(&vi);

	/* a short flag with its value glued on; the name as an operand */
	assert_int_equal(parse(&vi, "b1", "-r1024", "--memballoon", "none",
	    NULL), VI_OK);
	assert_string_equal(vi.name, "b1");
	assert_string_equal(js(vi.settings), "{\"memory\":\"1024\","
	    "\"balloon\":\"off\"}");
	assert_false(vi.start);
	virtinst_free(&vi);

	/* the guest agent's channel, as virt-install spells it */
	assert_int_equal(parse(&vi, "g1", "--channel",
	    "unix,target.type=virtio,name=org.qemu.guest_agent.0",
	    "--channel", "heartbeat", NULL), VI_OK);
	assert_string_equal(js(vi.settings), "{\"guest-agent\":\"on\","
	    "\"channel\":\"heartbeat\"}");
	virtinst_free(&vi);
}

/* virt-install's spellings of values, turned into the definition's. */
static void
test_values(void **state)
{
	struct virtinst vi;

	(void)state;
	assert_int_equal(parse(&vi, "--name", "v", "--memory",
	    "memory=2048,maxmemory=4096", "--vcpus", "vcpus=2",
	    "--cpu", "host-model", "--graphics", "type=vnc,listen=127.0.0.1",
	    "--virt-type", "qemu", "--metadata",
	    "description=a web box,title=Web", "--events",
	    "on_poweroff=preserve,on_crash=restart", "--memballoon",
	    "model=virtio", "--qemu-commandline",
	    "-global 'kvm-pit.lost_tick_policy=discard' -device \"x,y=a b\"",
	    "--qemu-arg", "-S", "--input", "tablet", "--input", "keyboard,bus=usb",
	    "--console", "pty,target_type=serial", "--autostart",
	    "--on-reboot", "destroy", "--append", "quiet", NULL), VI_OK);
	assert_string_equal(js(vi.settings), "{\"memory\":\"2048,"
	    "maxmemory=4096\",\"vcpus\":\"2\",\"cpu\":\"host\","
	    "\"graphics\":\"vnc,listen=127.0.0.1\",\"accel\":\"tcg\","
	    "\"description\":\"a web box\",\"on_poweroff\":\"preserve\","
	    "\"on_crash\":\"restart\",\"balloon\":\"on\","
	    "\"qemu-arg\":[\"-global\",\"kvm-pit.lost_tick_policy=discard\","
	    "\"-device\",\"x,y=a b\",\"-S\"],\"input\":[\"tablet\","
	    "\"keyboard,bus=usb\"],\"console\":\"serial\","
	    "\"autostart\":\"yes\",\"on_reboot\":\"destroy\","
	    "\"append\":\"quiet\"}");
	/* the title has no place: said once */
	assert_int_equal(vi.nwarnings, 1);
	assert_non_null(strstr(vi.warnings[0], "title"));
	virtinst_free(&vi);

	/* --boot: the kernel's items become their keys */
	assert_int_equal(parse(&vi, "k", "--boot",
	    "kernel=/b/vmlinuz,initrd=/b/initrd.img,kernel_args=console=ttyS0 "
	    "quiet,hd,menu=on", "--virt-type", "kvm", "--cpu",
	    "host-passthrough", "--autostart", "no", NULL), VI_OK);
	assert_string_equal(js(vi.settings), "{\"kernel\":\"/b/vmlinuz\","
	    "\"initrd\":\"/b/initrd.img\",\"append\":\"console=ttyS0 quiet\","
	    "\"boot\":\"hd,menu=on\",\"accel\":\"kvm\","
	    "\"cpu\":\"host-passthrough\",\"autostart\":\"no\"}");
	virtinst_free(&vi);

	/* --boot with the kernel only, --autostart=off */
	assert_int_equal(parse(&vi, "k", "--boot", "kernel=/k",
	    "--autostart=off", NULL), VI_OK);
	assert_string_equal(js(vi.settings), "{\"kernel\":\"/k\","
	    "\"autostart\":\"off\"}");
	virtinst_free(&vi);
}

static void
test_nographics(void **state)
{
	struct virtinst vi;

	(void)state;
	assert_int_equal(parse(&vi, "--name", "s", "--nographics", "--import",
	    "--disk", "/v/s.qcow2", "--os-variant", "debian12", NULL), VI_OK);
	assert_string_equal(js(vi.settings), "{\"graphics\":\"none\","
	    "\"disk\":[\"/v/s.qcow2,bus=virtio\"],\"console\":\"serial\"}");
	assert_string_equal(js(vi.args), "{}");
	/* virt-install's --import starts it and shows the text console */
	assert_true(vi.start);
	assert_true(vi.attach);
	virtinst_free(&vi);

	/* --console says otherwise; no console, nothing to attach to */
	assert_int_equal(parse(&vi, "--name", "s", "--nographics", "--console",
	    "none", "--import", NULL), VI_OK);
	assert_string_equal(js(vi.settings), "{\"graphics\":\"none\","
	    "\"console\":\"none\"}");
	assert_true(vi.start);
	assert_false(vi.attach);
	virtinst_free(&vi);
}

static void
test_os_variants(void **state)
{
	struct virtinst vi;

	(void)state;
	/* old Windows: IDE, SATA on q35; e1000; std VGA with a display */
	assert_int_equal(parse(&vi, "w", "--os-variant", "win7", "--disk",
	    "/w.img", "--disk", "/w2.img,bus=virtio", "--disk",
	    "/drv.iso,device=cdrom", "--network", "bridge=br0", "--network",
	    "none", "--graphics", "vnc", NULL), VI_OK);
	assert_string_equal(js(vi.settings), "{\"graphics\":\"vnc\","
	    "\"disk\":[\"/w.img,bus=ide\",\"/w2.img,bus=virtio\","
	    "\"/drv.iso,device=cdrom\"],\"network\":[\"bridge=br0,"
	    "model=e1000\",\"none\"],\"video\":\"std\"}");
	virtinst_free(&vi);
	assert_int_equal(parse(&vi, "w", "--os-variant", "win2k8",
	    "--machine", "q35", "--disk", "/w.img", NULL), VI_OK);
	assert_string_equal(js(vi.settings), "{\"machine\":\"q35\","
	    "\"disk\":[\"/w.img,bus=sata\"]}");
	virtinst_free(&vi);
	/* newer Windows: SATA and e1000e; --video given wins */
	assert_int_equal(parse(&vi, "w", "--osinfo", "win11", "--disk",
	    "/w.img", "-w", "bridge=br0", "--graphics", "vnc", "--video",
	    "qxl", NULL), VI_OK);
	assert_string_equal(js(vi.settings), "{\"graphics\":\"vnc\","
	    "\"video\":\"qxl\",\"disk\":[\"/w.img,bus=sata\"],"
	    "\"network\":[\"bridge=br0,model=e1000e\"]}");
	virtinst_free(&vi);
	/* generic, none: nothing added, no warning */
	assert_int_equal(parse(&vi, "g", "--os-variant", "generic", "--disk",
	    "/g.img", NULL), VI_OK);
	assert_string_equal(js(vi.settings), "{\"disk\":[\"/g.img\"]}");
	assert_int_equal(vi.nwarnings, 0);
	virtinst_free(&vi);
	assert_int_equal(parse(&vi, "g", "--os-variant", "none", "--disk",
	    "/g.img", NULL), VI_OK);
	assert_string_equal(js(vi.settings), "{\"disk\":[\"/g.img\"]}");
	virtinst_free(&vi);
	/* an unknown name: one warning, generic defaults */
	assert_int_equal(parse(&vi, "g", "--os-variant", "plan9", "--disk",
	    "/g.img", NULL), VI_OK);
	assert_string_equal(js(vi.settings), "{\"disk\":[\"/g.img\"]}");
	assert_int_equal(vi.nwarnings, 1);
	assert_string_equal(vi.warnings[0], "unknown --os-variant 'plan9'; "
	    "using generic defaults");
	virtinst_free(&vi);
	/* the other forms of the value */
	assert_int_equal(parse(&vi, "l", "--os-variant",
	    "detect=on,name=debian12", "--disk", "/l.img", NULL), VI_OK);
	assert_string_equal(js(vi.settings),
	    "{\"disk\":[\"/l.img,bus=virtio\"]}");
	assert_int_equal(vi.nwarnings, 0);
	virtinst_free(&vi);
	assert_int_equal(parse(&vi, "l", "--os-variant",
	    "detect=on,require=off", "--disk", "/l.img", NULL), VI_OK);
	assert_string_equal(js(vi.settings), "{\"disk\":[\"/l.img\"]}");
	assert_int_equal(vi.nwarnings, 1);
	assert_non_null(strstr(vi.warnings[0], "not inspected"));
	virtinst_free(&vi);
	assert_int_equal(parse(&vi, "l", "--os-variant",
	    "id=http://ubuntu.com/ubuntu/24.04", "--network", "bridge=b",
	    NULL), VI_OK);
	assert_string_equal(js(vi.settings),
	    "{\"network\":[\"bridge=b,model=virtio\"]}");
	virtinst_free(&vi);
	assert_int_equal(parse(&vi, "l", "--os-variant", "short-id=rocky9",
	    "--network", "bridge=b,model.type=rtl8139", NULL), VI_OK);
	assert_string_equal(js(vi.settings),
	    "{\"network\":[\"bridge=b,model.type=rtl8139\"]}");
	virtinst_free(&vi);
}

static void
test_os_table(void **state)
{
	static const struct { const char *name; const char *bus; } t[] = {
		{ "debian10", "virtio" }, { "debian12", "virtio" },
		{ "ubuntu18.04", "virtio" }, { "ubuntu24.04", "virtio" },
		{ "fedora39", "virtio" }, { "centos7.0", "virtio" },
		{ "centos-stream9", "virtio" }, { "rhel8.6", "virtio" },
		{ "rocky9", "virtio" }, { "almalinux8", "virtio" },
		{ "alpinelinux3.19", "virtio" }, { "linux2022", "virtio" },
		{ "win2k8r2", "ide" }, { "winxp", "ide" },
		{ "win10", "sata" }, { "win2k22", "sata" },
		{ "generic", NULL },
	};
	static const char *const unknown[] = {
		"ubuntu", "ubuntu22.", "debianx", "win12", "centos-streamx", "",
	};
	const struct osdefaults *os;
	char warn[256], e[256];

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		os = osvariant_find(t[i].name);
		if (os == NULL)
			fail_msg("%s is not in the table", t[i].name);
		if (t[i].bus == NULL)
			assert_null(os->disk_bus);
		else
			assert_string_equal(os->disk_bus, t[i].bus);
	}
	for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++)
		if (osvariant_find(unknown[i]) != NULL)
			fail_msg("'%s' is in the table", unknown[i]);
	assert_int_equal(osvariant_parse("id=http://microsoft.com/win/2k19",
	    &os, warn, sizeof(warn), e, sizeof(e)), 0);
	assert_string_equal(os->net_model, "e1000e");
	assert_string_equal(warn, "");
	assert_int_equal(osvariant_parse("id=http://example.com/x/1", &os,
	    warn, sizeof(warn), e, sizeof(e)), 0);
	assert_null(os->disk_bus);
	assert_non_null(strstr(warn, "unknown --os-variant"));
	assert_int_equal(osvariant_parse("detect=on,require=on", &os, warn,
	    sizeof(warn), e, sizeof(e)), -1);
	assert_int_equal(osvariant_parse("name=a,id=b", &os, warn,
	    sizeof(warn), e, sizeof(e)), -1);
	assert_int_equal(osvariant_parse("colour=red", &os, warn,
	    sizeof(warn), e, sizeof(e)), -1);
	assert_int_equal(osvariant_parse("ubuntu22.04,detect=on", &os, warn,
	    sizeof(warn), e, sizeof(e)), -1);
	assert_int_equal(osvariant_parse("detect=maybe", &os, warn,
	    sizeof(warn), e, sizeof(e)), -1);
	assert_int_equal(osvariant_parse("detect=on,require=sometimes", &os,
	    warn, sizeof(warn), e, sizeof(e)), -1);
}

/* What the client does: start, pause, attach, wait, print. */
static void
test_client_flags(void **state)
{
	struct virtinst vi;

	(void)state;
	assert_int_equal(parse(&vi, "c", NULL), VI_OK);
	assert_false(vi.start || vi.attach || vi.wait || vi.print ||
	    vi.dry_run);
	virtinst_free(&vi);
	assert_int_equal(parse(&vi, "c", "--start", NULL), VI_OK);
	assert_true(vi.start);
	assert_false(vi.attach);
	virtinst_free(&vi);
	assert_int_equal(parse(&vi, "c", "--paused", NULL), VI_OK);
	assert_true(vi.start && vi.paused);
	virtinst_free(&vi);
	/* --console alone attaches; before a flag too */
	assert_int_equal(parse(&vi, "c", "--console", "--paused", NULL), VI_OK);
	assert_true(vi.start && vi.attach && vi.paused);
	assert_string_equal(js(vi.settings), "{}");
	virtinst_free(&vi);
	assert_int_equal(parse(&vi, "--console", "c", NULL), VI_OK);
	assert_string_equal(vi.name, "c");
	assert_true(vi.attach);
	virtinst_free(&vi);
	assert_int_equal(parse(&vi, "c", "--console=serial", NULL), VI_OK);
	assert_false(vi.attach);
	assert_string_equal(js(vi.settings), "{\"console\":\"serial\"}");
	virtinst_free(&vi);
	/* --wait: alone for ever, N minutes, 0 not at all */
	assert_int_equal(parse(&vi, "c", "--wait", NULL), VI_OK);
	assert_true(vi.wait && vi.start);
	assert_int_equal(vi.wait_min, -1);
	virtinst_free(&vi);
	assert_int_equal(parse(&vi, "c", "--wait", "10", "--import",
	    "--noautoconsole", NULL), VI_OK);
	assert_true(vi.wait && vi.start);
	assert_false(vi.attach);
	assert_int_equal(vi.wait_min, 10);
	virtinst_free(&vi);
	assert_int_equal(parse(&vi, "c", "--wait=-1", NULL), VI_OK);
	assert_int_equal(vi.wait_min, -1);
	virtinst_free(&vi);
	assert_int_equal(parse(&vi, "c", "--import", "--wait", "0", NULL),
	    VI_OK);
	assert_true(vi.start);
	assert_false(vi.wait || vi.attach);
	virtinst_free(&vi);
	/* a display: nothing to attach to unless --autoconsole text */
	assert_int_equal(parse(&vi, "c", "--import", "--graphics", "vnc",
	    NULL), VI_OK);
	assert_true(vi.start);
	assert_false(vi.attach);
	virtinst_free(&vi);
	assert_int_equal(parse(&vi, "c", "--import", "--graphics", "vnc",
	    "--autoconsole", "text", NULL), VI_OK);
	assert_true(vi.attach);
	virtinst_free(&vi);
	assert_int_equal(parse(&vi, "c", "--import", "--autoconsole", "none",
	    NULL), VI_OK);
	assert_false(vi.attach);
	virtinst_free(&vi);
	assert_int_equal(parse(&vi, "c", "--print-xml", NULL), VI_OK);
	assert_true(vi.print);
	virtinst_free(&vi);
	assert_int_equal(parse(&vi, "c", "--print-xml", "1", "--dry-run",
	    NULL), VI_OK);
	assert_true(vi.print && vi.dry_run);
	virtinst_free(&vi);
}

/* Accepted and ignored, each for its reason. */
static void
test_ignored(void **state)
{
	struct virtinst vi;

	(void)state;
	assert_int_equal(parse(&vi, "i", "--connect", "qemu:///system",
	    "--force", "--os-type", "linux", "--hvm", "-v", "--accelerate",
	    "--check", "all=off", "--arch", "x86_64", "--quiet", "-d",
	    "--connect=qemu:///session", NULL), VI_OK);
	assert_string_equal(js(vi.settings), "{}");
	assert_false(vi.start);
	virtinst_free(&vi);
}

static void
test_errors(void **state)
{
	(void)state;
	FAILS(VI_USAGE, "unknown option --colour", "v1", "--colour", "red");
	FAILS(VI_USAGE, "unknown option -Z", "v1", "-Z");
	FAILS(VI_USAGE, "unknown option --bogus-key", "v1", "--bogus-key=1");
	FAILS(VI_USAGE, "--memory needs a value", "v1", "--memory");
	FAILS(VI_USAGE, "-n needs a value", "-n");
	FAILS(VI_USAGE, "--import takes no value", "v1", "--import=yes");
	FAILS(VI_USAGE, "--vcpus is given twice", "v1", "--vcpus", "1",
	    "--vcpus", "2");
	FAILS(VI_USAGE, "--memory: memory is set already by --ram", "v1",
	    "--ram", "512", "--memory", "1024");
	FAILS(VI_USAGE, "--accel: accel is set already by --virt-type", "v1",
	    "--virt-type", "kvm", "--accel", "tcg");
	FAILS(VI_USAGE, "--graphics: graphics is set already by --nographics",
	    "v1", "--nographics", "--graphics", "vnc");
	FAILS(VI_USAGE, "the name is given twice", "--name", "a", "--name",
	    "b");
	FAILS(VI_USAGE, "the name is given twice", "a", "-n", "b");
	FAILS(VI_USAGE, "unexpected argument 'b'", "a", "b");
	FAILS(VI_USAGE, "no name given", "--memory", "512");
	FAILS(VI_ERROR, "-n: 'bad name' is not a valid name", "-n",
	    "bad name");
	FAILS(VI_ERROR, "--name: '-x' is not a valid name", "--name", "-x");
	FAILS(VI_ERROR, "--connect 'qemu+ssh://h/system'", "v1", "--connect",
	    "qemu+ssh://h/system");
	FAILS(VI_ERROR, "--connect 'xen:///'", "v1", "--connect=xen:///");
	FAILS(VI_ERROR, "--virt-type 'xen'", "v1", "--virt-type", "xen");
	FAILS(VI_ERROR, "--arch 'aarch64'", "v1", "--arch", "aarch64");
	FAILS(VI_USAGE, "--cdrom and --import: give one install method", "v1",
	    "--cdrom", "/x.iso", "--import");
	FAILS(VI_USAGE, "-l and -c: give one install method", "v1",
	    "-l", "/x", "-c", "/y");
	FAILS(VI_USAGE, "--cdrom is given twice", "v1", "--cdrom", "/a",
	    "--cdrom", "/b");
	FAILS(VI_USAGE, "--extra-args needs --location", "v1", "--extra-args",
	    "console=ttyS0");
	FAILS(VI_USAGE, "-x is given twice", "v1", "-l", "/d", "-x", "a",
	    "-x", "b");
	FAILS(VI_ERROR, "--pxe: network installs are not supported", "v1",
	    "--pxe");
	FAILS(VI_ERROR, "--transient", "v1", "--transient");
	FAILS(VI_ERROR, "unknown property 'colour'", "v1", "--metadata",
	    "colour=red");
	FAILS(VI_ERROR, "--metadata '=x': ", "v1", "--metadata", "=x");
	FAILS(VI_ERROR, "target_type=serial", "v1", "--console",
	    "pty,target_type=virtio");
	FAILS(VI_ERROR, "unknown property 'log.file'", "v1", "--console",
	    "pty,log.file=/x");
	FAILS(VI_ERROR, "a quote is not closed", "v1", "--qemu-commandline",
	    "-device 'x");
	FAILS(VI_ERROR, "no argument given", "v1", "--qemu-commandline", " ");
	FAILS(VI_ERROR, "environment", "v1", "--qemu-commandline", "env=A=b");
	FAILS(VI_ERROR, "--wait 'soon'", "v1", "--wait=soon");
	FAILS(VI_ERROR, "--wait '99999999'", "v1", "--wait", "99999999");
	FAILS(VI_ERROR, "--autoconsole 'vnc'", "v1", "--autoconsole", "vnc");
	FAILS(VI_ERROR, "--memballoon 'xen'", "v1", "--memballoon", "xen");
	FAILS(VI_ERROR, "unknown property 'on_reset'", "v1", "--events",
	    "on_reset=destroy");
	FAILS(VI_USAGE, "--os-variant is given twice", "v1", "--os-variant",
	    "debian12", "--os-variant", "debian11");
	FAILS(VI_USAGE, "--osinfo: the OS is given already by --os-variant",
	    "v1", "--os-variant", "debian12", "--osinfo", "debian11");
	FAILS(VI_ERROR, "--os-variant 'detect=on,require=on'", "v1",
	    "--os-variant", "detect=on,require=on");
	FAILS(VI_USAGE, "--kernel: kernel is set already by --boot", "v1",
	    "--boot", "kernel=/a", "--kernel", "/b");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tutorial_line),
		cmocka_unit_test(test_forms),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_nographics),
		cmocka_unit_test(test_os_variants),
		cmocka_unit_test(test_os_table),
		cmocka_unit_test(test_client_flags),
		cmocka_unit_test(test_ignored),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
