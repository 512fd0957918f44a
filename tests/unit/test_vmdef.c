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
#include "cpukeys.h"
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
		{ "name: a\nvcpus: 2,dies=0\n", "vm.conf:2: vcpus: dies '0': too small (1 to 288)" },
		{ "name: a\nvcpus: 2,dies=x\n", "vm.conf:2: vcpus: dies 'x': not a number (1 to 288)" },
		{ "name: a\nvcpus: 2,maxvcpus=4,sockets=2,dies=2,cores=2,threads=1\n", "vm.conf: vcpus: sockets*dies*cores*threads = 8, but maxvcpus is 4" },
		{ "name: a\nvcpus: 2,maxvcpus=4,dies=8\n", "vm.conf: vcpus: sockets*dies*cores*threads = 8 is more than maxvcpus 4" },
		{ "name: a\ncpu: max,vmx\n", "vm.conf:2: cpu: 'vmx': a feature is +NAME or -NAME" },
		{ "name: a\ncpu: max,+\n", "vm.conf:2: cpu: '+': a feature is +NAME or -NAME" },
		{ "name: a\ncpu: max,+a/b\n", "vm.conf:2: cpu: '+a/b': a feature is +NAME or -NAME" },
		{ "name: a\ncpu: max,require=a/b\n", "vm.conf:2: cpu: require='a/b': not a feature name" },
		{ "name: a\ncpu: max,pmu=o/n\n", "vm.conf:2: cpu: 'pmu=o/n': not a CPU property" },
		{ "name: a\ncpu: ma/x\n", "vm.conf:2: cpu: 'ma/x' does not start with a CPU model (host, max, Skylake-Server, ...)" },
		{ "name: a\ncputune: vcpupin0\n", "vm.conf:2: cputune: 'vcpupin0' is not KEY=CPULIST" },
		{ "name: a\ncputune: vcpupinx=1\n", "vm.conf:2: cputune: unknown item 'vcpupinx' (vcpupinN, emulatorpin, iothreadpinN)" },
		{ "name: a\ncputune: vcpupin288=1\n", "vm.conf:2: cputune: unknown item 'vcpupin288' (vcpupinN, emulatorpin, iothreadpinN)" },
		{ "name: a\ncputune: iothreadpin=1\n", "vm.conf:2: cputune: unknown item 'iothreadpin' (vcpupinN, emulatorpin, iothreadpinN)" },
		{ "name: a\ncputune: vcpupin0=1-\n", "vm.conf:2: cputune: '1-' is not a CPU list (0-3,6)" },
		{ "name: a\ncputune: vcpupin0=3-1\n", "vm.conf:2: cputune: '3-1' is not a CPU list (0-3,6)" },
		{ "name: a\ncputune: emulatorpin=0,,x\n", "vm.conf:2: cputune: '0,x' is not a CPU list (0-3,6)" },
		{ "name: a\ncputune: vcpupin0=1,vcpupin0=0\n", "vm.conf:2: cputune: 'vcpupin0' given twice" },
		{ "name: a\ncputune: vcpupin0=99999\n", "vm.conf:2: cputune: '99999' is not a CPU list (0-3,6)" },
		{ "name: a\nvcpu-hotplugged: cpu1,driver=max-x86_64-cpu\n", "vm.conf:2: vcpu-hotplugged: 'cpu1,driver=max-x86_64-cpu' does not start with an id vcpuN" },
		{ "name: a\nvcpu-hotplugged: vcpu1\n", "vm.conf:2: vcpu-hotplugged: driver= (a CPU type) is needed" },
		{ "name: a\nvcpu-hotplugged: vcpu1,driver=max-x86_64-cpu,core-id=-1\n", "vm.conf:2: vcpu-hotplugged: core-id '-1': not a plain number (0 to 288)" },
		{ "name: a\nvcpu-hotplugged: vcpu1,driver=max-x86_64-cpu,node-id=0\n", "vm.conf:2: vcpu-hotplugged: unknown property 'node-id'" },
		{ "name: a\nvcpus: 2,maxvcpus=3\nvcpu-hotplugged: vcpu1,driver=m\nvcpu-hotplugged: vcpu1,driver=m\n", "vm.conf:4: vcpu-hotplugged: vcpu1 given twice" },
		{ "name: a\nvcpus: 1,maxvcpus=3\nvcpu-hotplugged: vcpu1,driver=m\n", "vm.conf: vcpu-hotplugged: 1 lines, but vcpus is 1 (vCPU 0 is never hot-plugged)" },
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
		{ "name: a\nchannel: agent\n", "vm.conf:2: channel: 'agent' is not heartbeat (the only channel there is)" },
		{ "name: a\nchannel: unix,target_type=virtio,name=org.qemu.guest_agent.0\n", "vm.conf:2: channel: 'unix,target_type=virtio,name=org.qemu.guest_agent.0' is not heartbeat (the only channel there is)" },
		{ "name: a\nguest-agent: maybe\n", "vm.conf:2: guest-agent: 'maybe' is not on or off" },
		{ "name: a\nguest-agent: on\nguest-agent: off\n", "vm.conf:3: guest-agent: given twice" },
		{ "name: a\nchannel: heartbeat,name=x\n", "vm.conf:2: channel: 'heartbeat,name=x' is not heartbeat (the only channel there is)" },
		{ "name: a\nchannel:\n", "vm.conf:2: channel: empty value" },
		{ "name: a\nchannel: heartbeat\nchannel: heartbeat\n", "vm.conf:3: channel: given twice" },
		{ "name: a\non_crash: explode\n", "vm.conf:2: on_crash: 'explode' is not destroy, restart or preserve" },
		{ "name: a\nautostart:\n", "vm.conf:2: autostart: empty value" },
		{ "name: a\nowner: a b\n", "vm.conf:2: owner: 'a b' is not a user name or uid" },
		{ "memory: 512\n", "vm.conf: name: missing" },
		/* memorybacking, numa, dimm */
		{ "name: a\nmemorybacking: hugepages=4M\n", "vm.conf:2: memorybacking: hugepages '4M' is not 2M or 1G" },
		{ "name: a\nmemorybacking: source=disk\n", "vm.conf:2: memorybacking: source 'disk' is not anonymous, file or memfd" },
		{ "name: a\nmemorybacking: hugepages=2M,source=anonymous\n", "vm.conf:2: memorybacking: hugepages need source=memfd or file" },
		{ "name: a\nmemorybacking: source=file\n", "vm.conf:2: memorybacking: source=file needs path= (a hugetlbfs or tmpfs directory)" },
		{ "name: a\nmemorybacking: source=file,path=shm\n", "vm.conf:2: memorybacking: path 'shm' is not absolute" },
		{ "name: a\nmemorybacking: path=/dev/shm\n", "vm.conf:2: memorybacking: path= is for source=file" },
		{ "name: a\nmemorybacking: shared=maybe\n", "vm.conf:2: memorybacking: shared 'maybe' is not on or off" },
		{ "name: a\nmemorybacking: locked=2\n", "vm.conf:2: memorybacking: locked '2' is not on or off" },
		{ "name: a\nmemorybacking: mergeable=x\n", "vm.conf:2: memorybacking: mergeable 'x' is not on or off" },
		{ "name: a\nmemorybacking: policy=bind\n", "vm.conf:2: memorybacking: policy needs hostnodes" },
		{ "name: a\nmemorybacking: hostnodes=0,policy=spread\n", "vm.conf:2: memorybacking: policy 'spread' is not bind, preferred or interleave" },
		{ "name: a\nmemorybacking: hostnodes=3-1\n", "vm.conf:2: memorybacking: hostnodes '3-1' is not N or N-M" },
		{ "name: a\nmemorybacking: hostnodes=x\n", "vm.conf:2: memorybacking: hostnodes 'x': not a number (0 to 63)" },
		{ "name: a\nmemorybacking: hugepages=2M,numa=on\n", "vm.conf:2: memorybacking: unknown property 'numa'" },
		{ "name: a\nmemory: 1025\nmemorybacking: hugepages=2M\n", "vm.conf: memorybacking: memory 1025M is not a whole number of 2M hugepages" },
		{ "name: a\nmemory: 1536\nmemorybacking: hugepages=1G,source=file,path=/h\n", "vm.conf: memorybacking: memory 1536M is not a whole number of 1024M hugepages" },
		{ "name: a\nmemorybacking: hugepages=1G,source=file\n", "vm.conf:2: memorybacking: source=file needs path= (a hugetlbfs or tmpfs directory)" },
		{ "name: a\nmachine: microvm\nmemorybacking: shared=on\n", "vm.conf: memorybacking: not on microvm" },
		{ "name: a\nnuma: cpus=0,mem=512\n", "vm.conf:2: numa: 'cpus=0,mem=512' is not nodeN=cpus=...,mem=..." },
		{ "name: a\nnuma: node1=cpus=0,mem=512\n", "vm.conf:2: numa: 'node1': nodes are node0, node1, ... in order" },
		{ "name: a\nnuma: node0=mem=512\n", "vm.conf:2: numa: node0: no cpus= (e.g. cpus=0-1)" },
		{ "name: a\nnuma: node0=cpus=0\n", "vm.conf:2: numa: node0: no mem= (e.g. mem=1G)" },
		{ "name: a\nnuma: node0=cpus=0,mem=lots\n", "vm.conf:2: numa: node0: mem 'lots': not a size (a number of MiB, or with a K/M/G/T suffix)" },
		{ "name: a\nnuma: node0=cpus=0,mem=512,policy=bind\n", "vm.conf:2: numa: node0: policy needs hostnodes" },
		{ "name: a\nnuma: node0=cpus=0,mem=512,distance=10\n", "vm.conf:2: numa: node0: unknown property 'distance'" },
		{ "name: a\nnuma: ;\n", "vm.conf:2: numa: no nodes (node0=cpus=0,mem=512M; ...)" },
		{ "name: a\nnuma: node0=cpus=0,mem=256; node1=cpus=0,mem=256\nvcpus: 2\n", "vm.conf: numa: vCPU 0 is in two nodes" },
		{ "name: a\nnuma: node0=cpus=0,mem=256; node1=cpus=1,mem=256\n", "vm.conf: numa: node1: cpus 1-1: the VM has vCPUs 0-0" },
		{ "name: a\nvcpus: 2\nnuma: node0=cpus=0,mem=256; node1=cpus=1,mem=128\n", "vm.conf: numa: the nodes' memory adds up to 384M, memory is 512M" },
		{ "name: a\nvcpus: 2\nmemorybacking: hugepages=2M\nnuma: node0=cpus=0,mem=255; node1=cpus=1,mem=257\n", "vm.conf: numa: node0: mem 255M is not a whole number of 2M hugepages" },
		{ "name: a\ndimm: 128M\n", "vm.conf: dimm: needs memory's maxmemory= and slots=" },
		{ "name: a\nmemory: 512,maxmemory=1G,slots=1\ndimm: 128M\ndimm: 128M\n", "vm.conf: dimm: 2 DIMMs, but memory has 1 slots" },
		{ "name: a\nmemory: 512,maxmemory=1G,slots=4\ndimm: 256M\ndimm: 512M\n", "vm.conf: dimm: memory and DIMMs come to 1280M, more than maxmemory 1024M" },
		{ "name: a\nmemory: 512,maxmemory=1G,slots=4\ndimm: 128M,id=1\ndimm: 128M\n", "vm.conf: dimm: id 1 is given twice" },
		{ "name: a\nmemory: 512,maxmemory=1G,slots=4\ndimm: 128M,node=1\n", "vm.conf: dimm: node 1: the guest has 1 NUMA nodes" },
		{ "name: a\nmemory: 512,maxmemory=1G,slots=4\ndimm: 1536K\n", "vm.conf:3: dimm: size '1536K' is not a whole number of MiB" },
		{ "name: a\nmemory: 512,maxmemory=1G,slots=4\ndimm: node=0\n", "vm.conf:3: dimm: no size given (e.g. 512M)" },
		{ "name: a\nmemory: 512,maxmemory=1G,slots=4\ndimm: 128M,id=256\n", "vm.conf:3: dimm: id '256': too large (0 to 255)" },
		{ "name: a\nmemory: 512,maxmemory=1G,slots=4\nmemorybacking: hugepages=2M\ndimm: 3M\n", "vm.conf: dimm: 3M is not a whole number of 2M hugepages" },
		{ "name: a\nvirtio_mem: 256M\n", "vm.conf: virtio_mem: needs memory's maxmemory=" },
		{ "name: a\nvirtio_mem: requested=2M\n", "vm.conf:2: virtio_mem: no size given (e.g. 1G)" },
		{ "name: a\nvirtio_mem: 256M,requested=512M\n", "vm.conf:2: virtio_mem: requested 512M is more than size 256M" },
		{ "name: a\nvirtio_mem: 255M\n", "vm.conf:2: virtio_mem: size and requested must be whole numbers of the 2M block" },
		{ "name: a\nvirtio_mem: 256M,block=3M\n", "vm.conf:2: virtio_mem: block 3M is not a power of 2" },
		{ "name: a\nvirtio_mem: 256M,max=1G\n", "vm.conf:2: virtio_mem: unknown property 'max'" },
		{ "name: a\nmemory: 512,maxmemory=1G\nvirtio_mem: 1G\n", "vm.conf: virtio_mem: memory, DIMMs and virtio-mem come to 1536M, more than maxmemory 1024M" },
		{ "name: a\nmemory: 512,maxmemory=1G\nmemorybacking: hugepages=2M\nvirtio_mem: 256M\n", "vm.conf: virtio_mem: not with hugepages" },
		{ "name: a\nmemory: 512,maxmemory=1G\nvirtio_mem: 256M,node=2\n", "vm.conf: virtio_mem: node 2: the guest has 1 NUMA nodes" },
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
		    { "graphics: vnc,port=auto" },
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

/* ---- disks ---- */

/* Every error of a disk line, by itself and against the others. */
static void
test_disk_errors(void **state)
{
	static const struct {
		const char *text;
		const char *want;
	} cases[] = {
		/* one line */
		{ "disk: /a,", "vm.conf:2: disk: empty item in property list" },
		{ "disk: a.img,format=raw", "vm.conf:2: disk: path 'a.img' is not an absolute path" },
		{ "disk: /a,path=/b", "vm.conf:2: disk: the path is given twice" },
		{ "disk: /a\tb,format=raw", "vm.conf:2: disk: control character in path" },
		{ "disk: /a,/b", "vm.conf:2: disk: unexpected value '/b'" },
		{ "disk: /a,format=raw,bogus=1", "vm.conf:2: disk: unknown property 'bogus'" },
		{ "disk: /a,bus=usb", "vm.conf:2: disk: bus usb: USB storage is not supported yet (virtio, scsi, sata, ide)" },
		{ "disk: /a,format=vmdk", "vm.conf:2: disk: format 'vmdk' is not raw or qcow2" },
		{ "disk: /a,bus=pci", "vm.conf:2: disk: bus 'pci' is not virtio, scsi, sata, ide or fdc" },
		{ "disk: /a,device=lun", "vm.conf:2: disk: device 'lun' is not disk, cdrom or floppy" },
		{ "disk: /a,cache=fast", "vm.conf:2: disk: cache 'fast' is not none, writeback, writethrough, directsync or unsafe" },
		{ "disk: /a,aio=posix", "vm.conf:2: disk: aio 'posix' is not threads, native or io_uring" },
		{ "disk: /a,io=posix", "vm.conf:2: disk: aio 'posix' is not threads, native or io_uring" },
		{ "disk: /a,discard=on", "vm.conf:2: disk: discard 'on' is not unmap or ignore" },
		{ "disk: /a,type=network", "vm.conf:2: disk: type 'network' is not file or block" },
		{ "disk: /a,format=raw,driver.type=qcow2", "vm.conf:2: disk: format is given twice (as format and driver.type)" },
		{ "disk: /a,io=native,driver.io=threads", "vm.conf:2: disk: aio is given twice (as io and driver.io)" },
		{ "disk: /a,readonly=maybe", "vm.conf:2: disk: readonly 'maybe' is not on or off" },
		{ "disk: /a,size=1,sparse,sparse=no", "vm.conf:2: disk: sparse is given twice" },
		{ "disk: /a,size=1,sparse=maybe", "vm.conf:2: disk: sparse 'maybe' is not yes or no" },
		{ "disk: /a,serial=a/b", "vm.conf:2: disk: serial 'a/b': 1 to 20 letters, digits, spaces or _.+-" },
		{ "disk: /a,serial=123456789012345678901", "vm.conf:2: disk: serial '123456789012345678901': 1 to 20 letters, digits, spaces or _.+-" },
		{ "disk: size=big", "vm.conf:2: disk: size 'big' is not a number of GiB (10, 0.5) or a size with a unit (512M)" },
		{ "disk: size=1.5G", "vm.conf:2: disk: size '1.5G' is not a number of GiB (10, 0.5) or a size with a unit (512M)" },
		{ "disk: size=0.1234567891", "vm.conf:2: disk: size '0.1234567891' is not a number of GiB (10, 0.5) or a size with a unit (512M)" },
		{ "disk: size=1.", "vm.conf:2: disk: size '1.' is not a number of GiB (10, 0.5) or a size with a unit (512M)" },
		{ "disk: size=-1", "vm.conf:2: disk: size '-1' is not a number of GiB (10, 0.5) or a size with a unit (512M)" },
		{ "disk: size=0", "vm.conf:2: disk: size '0' is not more than 0" },
		{ "disk: size=0.0", "vm.conf:2: disk: size '0.0' is not more than 0" },
		{ "disk: size=1048577", "vm.conf:2: disk: size '1048577' is more than 1 PiB" },
		{ "disk: size=2P", "vm.conf:2: disk: size '2P' is not a number of GiB (10, 0.5) or a size with a unit (512M)" },
		{ "disk: size=2048T", "vm.conf:2: disk: size '2048T' is more than 1 PiB" },
		{ "disk: /a,boot_order=0", "vm.conf:2: disk: boot_order '0': too small (1 to 9999)" },
		{ "disk: /a,boot_order=first", "vm.conf:2: disk: boot_order 'first': not a number (1 to 9999)" },
		{ "disk: /a,boot_order=1,boot.order=2", "vm.conf:2: disk: boot_order is given twice (as boot_order and boot.order)" },
		{ "disk: /a,target=xda", "vm.conf:2: disk: target 'xda' is not a disk name (vda, sdb, hdc, fda, ...)" },
		{ "disk: /a,target=vd1", "vm.conf:2: disk: target 'vd1' is not a disk name (vda, sdb, hdc, fda, ...)" },
		{ "disk: /a,target=vdabcd", "vm.conf:2: disk: target 'vdabcd' is not a disk name (vda, sdb, hdc, fda, ...)" },
		{ "disk: /a,target=vd", "vm.conf:2: disk: target 'vd' is not a disk name (vda, sdb, hdc, fda, ...)" },
		{ "disk: format=raw", "vm.conf:2: disk: no path or size given" },
		{ "disk: device=cdrom,readonly=off", "vm.conf:2: disk: a cdrom is read-only (readonly=off)" },
		{ "disk: /a.iso,device=cdrom,size=1", "vm.conf:2: disk: a cdrom is not created (size=)" },
		{ "disk: /a,readonly=on,size=1", "vm.conf:2: disk: a read-only disk is not created (size=)" },
		{ "disk: device=floppy,size=1", "vm.conf:2: disk: a floppy without a path is an empty drive, not created (size=)" },
		{ "disk: type=block,size=1", "vm.conf:2: disk: type=block needs a path" },
		{ "disk: /dev/sdb,size=1", "vm.conf:2: disk: a block device is not created (size=)" },
		{ "disk: /srv/lun,type=block,size=1", "vm.conf:2: disk: a block device is not created (size=)" },
		{ "disk: /a,aio=native", "vm.conf:2: disk: aio=native needs cache.direct=on: cache=none or cache=directsync" },
		{ "disk: /a,cache=writeback,io=native", "vm.conf:2: disk: aio=native needs cache.direct=on: cache=none or cache=directsync" },
		{ "disk: /a,device=floppy,bus=ide", "vm.conf:2: disk: a floppy is on bus fdc, not ide" },
		{ "disk: /a,bus=fdc", "vm.conf:2: disk: bus fdc is for device=floppy" },
		{ "disk: /a,device=floppy,serial=X", "vm.conf:2: disk: a floppy has no serial" },
		{ "disk: /a,device=cdrom,bus=virtio", "vm.conf:2: disk: a cdrom is on scsi, sata or ide, not virtio" },
		/* against the machine and the other lines */
		{ "machine: microvm\ndisk: /a,device=floppy", "vm.conf: disk: fda: a floppy is not possible on microvm, which has no floppy controller" },
		{ "machine: microvm\ndisk: /a,bus=ide", "vm.conf: disk: hda: bus ide is not possible on microvm (bus=virtio or scsi)" },
		{ "machine: microvm\ndisk: /a,bus=sata", "vm.conf: disk: sda: bus sata is not possible on microvm (bus=virtio or scsi)" },
		{ "disk: /a,target=sda", "vm.conf: disk: target sda does not fit bus virtio (vda, vdb, ...)" },
		{ "disk: /a,bus=ide,target=vda", "vm.conf: disk: target vda does not fit bus ide (hda, hdb, ...)" },
		{ "disk: /a.iso,device=cdrom,target=vdc", "vm.conf: disk: target vdc does not fit bus ide (hda, hdb, ...)" },
		{ "machine: q35\ndisk: /a.iso,device=cdrom,target=hdc", "vm.conf: disk: target hdc does not fit bus sata (sda, sdb, ...)" },
		{ "disk: /a,bus=ide,target=hde", "vm.conf: disk: hde: bus ide has hda to hdd only" },
		{ "disk: /a,bus=sata,target=sdg", "vm.conf: disk: sdg: bus sata has sda to sdf only" },
		{ "disk: /a,device=floppy,target=fdc", "vm.conf: disk: fdc: bus fdc has fda to fdb only" },
		{ "disk: /1,bus=ide\ndisk: /2,bus=ide\ndisk: /3,bus=ide\ndisk: /4,bus=ide\ndisk: /5,bus=ide", "vm.conf: disk: hde: more than 4 disks on bus ide (hda to hdd)" },
		{ "disk: /1,bus=ide\ndisk: /2.iso,device=cdrom\ndisk: /3,bus=ide\ndisk: /4,bus=ide\ndisk: /5.iso,device=cdrom", "vm.conf: disk: hde: more than 4 disks on bus ide (hda to hdd)" },
		{ "disk: /1,bus=sata\ndisk: /2,bus=sata\ndisk: /3,bus=sata\ndisk: /4,bus=sata\ndisk: /5,bus=sata\ndisk: /6,bus=sata\ndisk: /7,bus=sata", "vm.conf: disk: sdg: more than 6 disks on bus sata (sda to sdf)" },
		{ "disk: /1,device=floppy\ndisk: /2,device=floppy\ndisk: /3,device=floppy", "vm.conf: disk: fdc: more than 2 disks on bus fdc (fda to fdb)" },
		{ "disk: /a,bus=ide,readonly=on", "vm.conf: disk: hda: a read-only disk cannot be on bus ide, QEMU refuses it (bus=virtio or scsi)" },
		{ "machine: q35\ndisk: /a,bus=sata,readonly=on", "vm.conf: disk: sda: a read-only disk cannot be on bus sata, QEMU refuses it (bus=virtio or scsi)" },
		{ "disk: /a,target=vdb\ndisk: /b,target=vdb", "vm.conf: disk: target vdb is given twice" },
		{ "disk: /a,bus=scsi,target=sdb\ndisk: /b,bus=sata,target=sdb", "vm.conf: disk: target sdb is given twice" },
		{ "machine: q35\ndisk: /a,bus=sata\ndisk: /b,bus=ide", "vm.conf: disk: sda and hda are both on port ide.0 of q35's AHCI controller" },
		{ "machine: q35\ndisk: /a,bus=ide,target=hdc\ndisk: /b.iso,device=cdrom,target=sdc", "vm.conf: disk: hdc and sdc are both on port ide.2 of q35's AHCI controller" },
		{ "disk: /a\ndisk: /a,bus=scsi", "vm.conf: disk: vda and sda have the same path /a (only read-only disks may share one)" },
		{ "disk: /a.iso,device=cdrom\ndisk: /a.iso,readonly=off", "vm.conf: disk: hda and vda have the same path /a.iso (only read-only disks may share one)" },
		{ "disk: /a,boot_order=1\ndisk: /b,boot_order=1", "vm.conf: disk: vda and vdb have the same boot_order 1" },
		/* boot: the virt-install way */
		{ "boot: kernel=vmlinuz", "vm.conf:2: boot: kernel 'vmlinuz' is not an absolute path" },
		{ "boot: kernel=/k,initrd=i", "vm.conf:2: boot: initrd 'i' is not an absolute path" },
		{ "boot: initrd=/i", "vm.conf:2: boot: initrd= needs kernel=" },
		{ "boot: kernel_args=quiet", "vm.conf:2: boot: kernel_args= needs kernel=" },
		{ "boot: hd,kernel=/k,cmdline=quiet", "vm.conf:2: boot: unknown property 'cmdline'" },
		{ "boot: floppy", "vm.conf:2: boot: unknown boot device 'floppy' (hd, cdrom, network, fd)" },
		/* install: the install phase */
		{ "install: dvd", "vm.conf:2: install: 'dvd' is not cdrom or kernel=PATH[,initrd=PATH][,append=TEXT]" },
		{ "install: cdrom,hd", "vm.conf:2: install: 'cdrom,hd' is not cdrom or kernel=PATH[,initrd=PATH][,append=TEXT]" },
		{ "install: initrd=/i", "vm.conf:2: install: 'initrd=/i' is not cdrom or kernel=PATH[,initrd=PATH][,append=TEXT]" },
		{ "install: kernel=vmlinuz", "vm.conf:2: install: kernel 'vmlinuz' is not an absolute path" },
		{ "install: kernel=/k,location=a.iso", "vm.conf:2: install: location 'a.iso' is not an absolute path" },
		{ "install: kernel=/k,args=quiet", "vm.conf:2: install: unknown property 'args' (kernel, initrd, append, location)" },
		{ "install: cdrom", "vm.conf: install: cdrom needs a disk with device=cdrom and a path" },
		{ "install: cdrom\ndisk: device=cdrom", "vm.conf: install: cdrom needs a disk with device=cdrom and a path" },
		{ "install: cdrom\ndisk: /a.iso,device=cdrom\nkernel: /k", "vm.conf: install: the VM boots the kernel /k; an install boots its CD-ROM or the installer's kernel" },
		{ "install: cdrom\ninstall: kernel=/k", "vm.conf:3: install: given twice" },
		/* PCI slots */
		{ "disk: /a,format=raw,addr=7\ndisk: /b,format=raw,addr=0x7",
		    "vm.conf: disk vda and disk vdb are both on PCI slot 7" },
		{ "disk: /a,format=raw,addr=6",
		    "vm.conf: disk vda and balloon0 are both on PCI slot 6" },
		{ "graphics: vnc\ndisk: /a,format=raw,address.type=pci,address.slot=2",
		    "vm.conf: disk vda and video0 are both on PCI slot 2" },
		{ "disk: /a,format=raw,addr=1",
		    "vm.conf: disk vda: addr=1, but pc has slots 2 to 31" },
		{ "disk: /a,format=raw,addr=32",
		    "vm.conf: disk vda: addr=32, but pc has slots 2 to 31" },
		{ "disk: /a,format=raw,addr=65",
		    "vm.conf:2: disk: addr '65' is not a slot number (0 to 64, or 0x0 to 0x40)" },
		{ "disk: /a,format=raw,addr=0",
		    "vm.conf:2: disk: addr 0 is the host bridge's" },
		{ "disk: /a,format=raw,addr=seven",
		    "vm.conf:2: disk: addr 'seven' is not a slot number (0 to 64, or 0x0 to 0x40)" },
		{ "disk: /a,format=raw,addr=-7",
		    "vm.conf:2: disk: addr '-7' is not a slot number (0 to 64, or 0x0 to 0x40)" },
		{ "disk: /a,format=raw,addr=7,address.slot=7",
		    "vm.conf:2: disk: the slot is given twice (addr= and address.slot=)" },
		{ "disk: /a,format=raw,address.type=ccw,address.slot=7",
		    "vm.conf:2: disk: address.type 'ccw': only pci" },
		{ "disk: /a,format=raw,address.type=pci",
		    "vm.conf:2: disk: address.type=pci needs address.slot (or addr=)" },
		{ "disk: /a,format=raw,address.bus=1,address.slot=7",
		    "vm.conf:2: disk: address.bus '1': only 0 (one PCI domain, the slot's bus as the machine gives it, function 0)" },
		{ "disk: addr=7",
		    "vm.conf:2: disk: nothing but the PCI address" },
		{ "disk: /a,format=raw,bus=scsi,addr=7",
		    "vm.conf: disk sda: addr=7, but it is no PCI device" },
		{ "video: ramfb,addr=7",
		    "vm.conf: video0: addr=7, but it is no PCI device" },
		{ "machine: microvm\ndisk: /a,format=raw,addr=3",
		    "vm.conf: disk vda: addr=3, but it is no PCI device" },
		{ "machine: q35\ngraphics: vnc\nvideo: std,addr=3",
		    "vm.conf: video0: addr=3, but q35's video sits on pcie.0 at slot 1" },
		{ "machine: q35\ndisk: /a,format=raw,addr=65",
		    "vm.conf:3: disk: addr '65' is not a slot number (0 to 64, or 0x0 to 0x40)" },
		{ "machine: q35\ndisk: /a,format=raw,addr=3",
		    "vm.conf: disk vda and balloon0 are both on root port 3" },
		{ "machine: q35\npcie_root_ports: 2\ndisk: /a,format=raw",
		    "vm.conf: disk vda: no free PCIe root port (pcie_root_ports: 2)" },
		{ "machine: q35\npcie_root_ports: 5\ndisk: /a,format=raw,addr=9",
		    "vm.conf: pcie_root_ports: 5, but disk vda is on root port 9" },
		{ "machine: q35\npcie_root_ports: 0",
		    "vm.conf:3: pcie_root_ports: count '0': too small (1 to 64)" },
		{ "machine: q35\npcie_root_ports: 65",
		    "vm.conf:3: pcie_root_ports: count '65': too large (1 to 64)" },
		{ "pcie_root_ports: 4",
		    "vm.conf: pcie_root_ports: only q35 has PCIe root ports" },
		/* the heartbeat channel: its controller's fixed slot */
		{ "channel: heartbeat,addr=7",
		    "vm.conf: channel heartbeat0: addr=7, but it is no PCI device" },
		{ "disk: /a,format=raw,addr=30\nchannel: heartbeat",
		    "vm.conf: disk vda and controller vserial0 are both on PCI slot 30" },
		{ "machine: microvm\nchannel: heartbeat,addr=7",
		    "vm.conf: channel heartbeat0: addr=7, but it is no PCI device" },
	};
	char err[512], text[1024];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(text, sizeof(text), "name: a\n%s\n", cases[i].text);
		struct vmdef *d = vmdef_parse(text, "vm.conf", err, sizeof(err));
		if (d != NULL)
			fail_msg("case %zu parsed: %s", i, cases[i].text);
		if (strcmp(err, cases[i].want) != 0)
			fail_msg("case %zu: got '%s', want '%s'", i, err,
			    cases[i].want);
	}
}

/* virt-install's forms of --disk, and what the supervisor reads of them. */
static void
test_disk_forms(void **state)
{
	static const struct {
		const char	*machine, *line;
		const char	*target, *path, *format, *bus, *device;
		uint64_t	 size;
		int		 sparse, readonly;
		const char	*node;
	} cases[] = {
		{ "pc", "/var/lib/x.qcow2", "vda", "/var/lib/x.qcow2", NULL, "virtio",
		    "disk", 0, 1, 0, "fmt-vda" },
		{ "pc", "/x.img,format=raw,size=10", "vda", "/x.img", "raw", "virtio",
		    "disk", 10ULL << 30, 1, 0, "fmt-vda" },
		{ "pc", "path=/x.img,size=120,sparse", "vda", "/x.img", NULL,
		    "virtio", "disk", 120ULL << 30, 1, 0, "fmt-vda" },
		{ "pc", "path=/x.img,size=1,sparse=no", "vda", "/x.img", NULL,
		    "virtio", "disk", 1ULL << 30, 0, 0, "fmt-vda" },
		{ "pc", "size=10", "vda", NULL, NULL, "virtio", "disk", 10ULL << 30,
		    1, 0, NULL },
		{ "pc", "size=0.5,format=qcow2", "vda", NULL, "qcow2", "virtio", "disk",
		    512ULL << 20, 1, 0, NULL },
		/* 0.1 GiB rounded up to whole sectors */
		{ "pc", "size=0.1", "vda", NULL, NULL, "virtio", "disk", 107374592,
		    1, 0, NULL },
		{ "pc", "size=512M", "vda", NULL, NULL, "virtio", "disk", 512ULL << 20,
		    1, 0, NULL },
		{ "pc", "size=1000B", "vda", NULL, NULL, "virtio", "disk", 1024, 1, 0,
		    NULL },
		{ "pc", "/a.iso,device=cdrom", "hda", "/a.iso", NULL, "ide", "cdrom",
		    0, 1, 1, "fmt-hda" },
		{ "q35", "/a.iso,device=cdrom", "sda", "/a.iso", NULL, "sata",
		    "cdrom", 0, 1, 1, "fmt-sda" },
		{ "pc-q35-7.2", "device=cdrom", "sda", NULL, NULL, "sata", "cdrom", 0,
		    1, 1, NULL },
		{ "microvm", "device=cdrom", "sda", NULL, NULL, "scsi", "cdrom", 0, 1,
		    1, NULL },
		{ "microvm", "/r.raw,format=raw", "vda", "/r.raw", "raw", "virtio",
		    "disk", 0, 1, 0, "fmt-vda" },
		{ "pc", "/f.img,device=floppy", "fda", "/f.img", NULL, "fdc",
		    "floppy", 0, 1, 0, "fmt-fda" },
		{ "q35", "/f.img,device=floppy,bus=fdc", "fda", "/f.img", NULL, "fdc",
		    "floppy", 0, 1, 0, "fmt-fda" },
		{ "pc", "/a,readonly=on", "vda", "/a", NULL, "virtio", "disk", 0, 1,
		    1, "fmt-vda" },
		{ "pc", "/a,bus=scsi,readonly=yes", "sda", "/a", NULL, "scsi", "disk",
		    0, 1, 1, "fmt-sda" },
		{ "pc", "/a,bus=sata", "sda", "/a", NULL, "sata", "disk", 0, 1, 0,
		    "fmt-sda" },
		{ "pc", "/a,target.bus=ide,target.dev=hdc", "hdc", "/a", NULL, "ide",
		    "disk", 0, 1, 0, "fmt-hdc" },
		{ "pc", "/a,driver.type=qcow2", "vda", "/a", "qcow2", "virtio",
		    "disk", 0, 1, 0, "fmt-vda" },
		/* ",," is a comma; '=' in a bare path is still the path */
		{ "pc", "/My Disk,,v2.qcow2,format=qcow2", "vda", "/My Disk,v2.qcow2",
		    "qcow2", "virtio", "disk", 0, 1, 0, "fmt-vda" },
		{ "pc", "/srv/a=b,,c.img,format=raw", "vda", "/srv/a=b,c.img", "raw",
		    "virtio", "disk", 0, 1, 0, "fmt-vda" },
		{ "pc", "/dev/sdb,format=raw", "vda", "/dev/sdb", "raw", "virtio",
		    "disk", 0, 1, 0, "fmt-vda" },
	};
	char text[512];
	struct vmdef_disk vd;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(text, sizeof(text), "name: a\nmachine: %s\ndisk: %s\n",
		    cases[i].machine, cases[i].line);
		struct vmdef *d = tu_parse_ok(text);
		assert_int_equal(vmdef_disk_count(d), 1);
		assert_int_equal(vmdef_disk_get(d, 0, &vd), 0);
		assert_int_equal(vmdef_disk_get(d, 1, &vd) == -1, 1);
		assert_int_equal(vmdef_disk_get(d, 0, &vd), 0);
		if (strcmp(vd.target, cases[i].target) != 0 ||
		    strcmp(vd.bus, cases[i].bus) != 0 ||
		    strcmp(vd.device, cases[i].device) != 0 ||
		    vd.size != cases[i].size || vd.sparse != cases[i].sparse ||
		    vd.readonly != cases[i].readonly)
			fail_msg("case %zu: %s %s %s %llu sparse %d ro %d", i,
			    vd.target, vd.bus, vd.device,
			    (unsigned long long)vd.size, vd.sparse, vd.readonly);
#define SAME(a, b) ((a) == NULL ? (b) == NULL : (b) != NULL && strcmp(a, b) == 0)
		if (!SAME(vd.path, cases[i].path) ||
		    !SAME(vd.format, cases[i].format) ||
		    !SAME(vd.node, cases[i].node))
			fail_msg("case %zu: path %s format %s node %s", i,
			    vd.path ? vd.path : "-", vd.format ? vd.format : "-",
			    vd.node ? vd.node : "-");
#undef SAME
		size_t ix = 9;
		assert_int_equal(vmdef_disk_find(d, cases[i].target, &ix), 0);
		assert_int_equal(ix, 0);
		assert_int_equal(vmdef_disk_find(d, "vdz", &ix), -1);
		vmdef_free(d);
	}
}

/* Targets: explicit ones kept, the others the lowest free, line by line. */
static void
test_disk_targets(void **state)
{
	struct vmdef_disk vd;
	char text[4096];
	size_t n;

	(void)state;
	struct vmdef *d = tu_parse_ok("name: a\n"
	    "disk: /1\n"			/* vdb: vda is taken below */
	    "disk: /2,target=vda\n"
	    "disk: /3,bus=scsi\n"		/* sda */
	    "disk: /4,bus=sata\n"		/* sdc: sdb is taken below */
	    "disk: /5,bus=scsi,target=sdb\n"
	    "disk: /6.iso,device=cdrom\n"	/* hda */
	    "disk: /7,bus=ide\n"		/* hdb */
	    "disk: device=floppy\n"		/* fda */
	    "disk: /8\n");			/* vdc */
	static const char *const want[] = { "vdb", "vda", "sda", "sdc", "sdb",
	    "hda", "hdb", "fda", "vdc" };
	assert_int_equal(vmdef_disk_count(d), 9);
	for (size_t i = 0; i < 9; i++) {
		assert_int_equal(vmdef_disk_get(d, i, &vd), 0);
		assert_string_equal(vd.target, want[i]);
		assert_int_equal(vmdef_disk_find(d, want[i], &n), 0);
		assert_int_equal(n, i);
	}
	vmdef_free(d);

	/* after vdz comes vdaa, as libvirt names them (on q35: pc has not
	 * the PCI slots for 28 virtio disks beside its fixed ones) */
	n = (size_t)snprintf(text, sizeof(text), "name: a\nmachine: q35\n");
	for (int i = 0; i < 28; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n,
		    "disk: /d%d\n", i);
	d = tu_parse_ok(text);
	assert_int_equal(vmdef_disk_get(d, 25, &vd), 0);
	assert_string_equal(vd.target, "vdz");
	assert_int_equal(vmdef_disk_get(d, 26, &vd), 0);
	assert_string_equal(vd.target, "vdaa");
	assert_string_equal(vd.node, "fmt-vdaa");
	assert_int_equal(vmdef_disk_get(d, 27, &vd), 0);
	assert_string_equal(vd.target, "vdab");
	vmdef_free(d);
	d = tu_parse_ok("name: a\ndisk: /a,target=vdba\n");
	assert_int_equal(vmdef_disk_get(d, 0, &vd), 0);
	assert_string_equal(vd.target, "vdba");
	vmdef_free(d);

	/* two read-only disks may share a path */
	d = tu_parse_ok("name: a\ndisk: /s.iso,device=cdrom\n"
	    "disk: /s.iso,bus=scsi,readonly=on\n");
	vmdef_free(d);
}

/* The canonical text of disk lines parses back to the same lines. */
static void
test_disk_roundtrip(void **state)
{
	static const struct {
		const char *in, *out;
	} lines[] = {
		{ "/x.img,format=raw,size=10", "/x.img,format=raw,size=10" },
		{ "path=/y.img,size=120,sparse", "/y.img,size=120,sparse=yes" },
		{ "size=0.5,sparse=no", "size=512M,sparse=no" },
		{ "size=0.1", "size=104858K" },
		{ "size=1000B", "size=1K" },
		{ "size=1536K", "size=1536K" },
		{ "/My Disk,,v2.qcow2,driver.type=qcow2",
		    "/My Disk,,v2.qcow2,format=qcow2" },
		{ "/a=b.img,format=raw", "/a=b.img,format=raw" },
		{ "device=cdrom,target.bus=scsi", "device=cdrom,bus=scsi" },
		{ "/f.img,device=floppy,boot.order=2",
		    "/f.img,device=floppy,boot_order=2" },
		{ "/dev/sdb,sourcetype=file,format=raw,io=io_uring,"
		    "driver.cache=unsafe,driver.discard=unmap,readonly=off,"
		    "serial=S 1,target.dev=vdc",
		    "/dev/sdb,format=raw,target=vdc,type=file,cache=unsafe,"
		    "aio=io_uring,discard=unmap,readonly=off,serial=S 1" },
		{ "/srv/lun,type=block,format=raw,cache=none,aio=native",
		    "/srv/lun,format=raw,type=block,cache=none,aio=native" },
		{ "/r.qcow2,bus=sata,cache=directsync,readonly=no",
		    "/r.qcow2,bus=sata,cache=directsync,readonly=off" },
	};
	char text[8192], want[256];
	size_t n = (size_t)snprintf(text, sizeof(text), "name: rt\nmachine: q35\n");

	(void)state;
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "disk: %s\n",
		    lines[i].in);
	struct vmdef *d = tu_parse_ok(text);
	char *t1 = vmdef_print(d);
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		snprintf(want, sizeof(want), "\ndisk: %s\n", lines[i].out);
		if (strstr(t1, want) == NULL)
			fail_msg("no '%s' in:\n%s", want + 1, t1);
	}
	/* the disks after input and before the balloon */
	assert_non_null(strstr(t1, "sparse=no\ndisk: size=104858K\n"));
	assert_true(strstr(t1, "\ndisk: ") < strstr(t1, "\nballoon: "));
	struct vmdef *d2 = tu_parse_ok(t1);
	char *t2 = vmdef_print(d2);
	assert_string_equal(t1, t2);
	struct vmdef *d3 = vmdef_dup(d2);
	char *t3 = vmdef_print(d3);
	assert_string_equal(t1, t3);
	/* the same disks, targets and all */
	struct vmdef_disk a, b;
	assert_int_equal(vmdef_disk_count(d), vmdef_disk_count(d3));
	for (size_t i = 0; i < vmdef_disk_count(d); i++) {
		assert_int_equal(vmdef_disk_get(d, i, &a), 0);
		assert_int_equal(vmdef_disk_get(d3, i, &b), 0);
		assert_string_equal(a.target, b.target);
		assert_int_equal(a.size, b.size);
	}
	free(t1);
	free(t2);
	free(t3);
	vmdef_free(d);
	vmdef_free(d2);
	vmdef_free(d3);
}

static int
build(const struct vmdef *d, struct argv *a, char *err, size_t errlen)
{
	struct vmpaths p;

	assert_int_equal(vmpaths_init(&p, "/run/q", d->name, err, errlen), 0);
	return cmdline_build(d, &p, ACCEL_TCG, "/q", a, err, errlen);
}

/* The argument after -vnc on d's command line, with the host's default. */
static char *
vnc_arg(const char *text, const char *host_default)
{
	char err[512];
	struct vmdef *d = tu_parse_ok(text);
	struct vmpaths p;
	struct argv a;
	char *v = NULL;

	assert_int_equal(vmpaths_init(&p, "/run/q", d->name, err, sizeof(err)),
	    0);
	strlcpy(p.vnc_listen, host_default, sizeof(p.vnc_listen));
	assert_int_equal(cmdline_build(d, &p, ACCEL_TCG, "/q", &a, err,
	    sizeof(err)), 0);
	for (size_t i = 0; i + 1 < a.n; i++)
		if (strcmp(a.v[i], "-vnc") == 0)
			v = xstrdup(a.v[i + 1]);
	argv_free(&a);
	vmdef_free(d);
	assert_non_null(v);
	return v;
}

/*
 * A display without listen= takes the host's default (qlaunchd.conf's
 * vnc_listen) when QEMU starts, not when it was defined; listen= wins.
 * (test_device_defaults: the printed definition names no address.)
 */
static void
test_vnc_listen_default(void **state)
{
	static const struct {
		const char	*text, *host, *want;
	} c[] = {
		{ "name: a\ngraphics: vnc\n", "", "127.0.0.1:0,to=99" },
		{ "name: a\ngraphics: vnc\n", "0.0.0.0", "0.0.0.0:0,to=99" },
		{ "name: a\ngraphics: vnc,port=5901\n", "::", "[::]:1" },
		{ "name: a\ngraphics: vnc,listen=127.0.0.1\n", "0.0.0.0",
		    "127.0.0.1:0,to=99" },
	};
	char *v;

	(void)state;
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		v = vnc_arg(c[i].text, c[i].host);
		assert_string_equal(v, c[i].want);
		free(v);
	}
}

/* The argument after "-device" whose JSON has that id, or NULL. */
static const char *
device_arg(struct argv *a, const char *id)
{
	char want[64];

	snprintf(want, sizeof(want), "\"id\":\"%s\"", id);
	for (size_t i = 0; i + 1 < a->n; i++)
		if (strcmp(a->v[i], "-device") == 0 &&
		    strstr(a->v[i + 1], want) != NULL)
			return a->v[i + 1];
	return NULL;
}

/* The bus and addr of device id on d's command line: "pci.5/0x0", "0x8". */
static const char *
placed(const struct vmdef *d, const char *id, char *buf, size_t len)
{
	char err[512];
	struct argv a;
	const char *dev, *b, *ad;

	assert_int_equal(build(d, &a, err, sizeof(err)), 0);
	buf[0] = '\0';
	if ((dev = device_arg(&a, id)) != NULL) {
		b = strstr(dev, "\"bus\":\"pci");
		ad = strstr(dev, "\"addr\":\"");
		assert_non_null(ad);
		if (b != NULL)
			snprintf(buf, len, "%.*s/", (int)strcspn(b + 7, "\""),
			    b + 7);
		snprintf(buf + strlen(buf), len - strlen(buf), "%.*s",
		    (int)strcspn(ad + 8, "\""), ad + 8);
	}
	size_t ports = 0;
	for (size_t i = 0; i < a.n; i++)
		ports += strstr(a.v[i], "pcie-root-port") != NULL;
	snprintf(buf + strlen(buf), len - strlen(buf), " %zu", ports);
	argv_free(&a);
	return buf;
}

/* The definition the running one is after a restart: its text parsed. */
static struct vmdef *
reparsed(const struct vmdef *d)
{
	char *t = vmdef_text(d);
	struct vmdef *n = tu_parse_ok(t);

	free(t);
	return n;
}

/*
 * Hot-plug and unplug move no other device: a hole stays where a device
 * went, the next plug takes the lowest free slot, and the running text
 * parsed again (a restart, re-adoption, restore) gives the same tree.
 */
static void
test_pci_stable(void **state)
{
	char err[512], b[64];
	struct json_object *steps;
	struct vmdef *d, *r;
	size_t i;

	(void)state;
	d = tu_parse_ok("name: s\ndisk: /a,format=raw\ndisk: /b,format=raw\n"
	    "disk: /c,format=raw\ninput: tablet,bus=virtio\n");
	assert_string_equal(placed(d, "input0", b, sizeof(b)), "0x7 0");
	assert_string_equal(placed(d, "vda", b, sizeof(b)), "0x8 0");
	assert_string_equal(placed(d, "vdb", b, sizeof(b)), "0x9 0");
	assert_string_equal(placed(d, "vdc", b, sizeof(b)), "0xa 0");
	assert_int_equal(vmdef_disk_unplug(d, "vdb", &steps, err, sizeof(err)),
	    0);
	json_object_put(steps);
	for (int pass = 0; pass < 2; pass++) {
		r = pass == 0 ? vmdef_dup(d) : reparsed(d);
		assert_string_equal(placed(r, "input0", b, sizeof(b)), "0x7 0");
		assert_string_equal(placed(r, "vda", b, sizeof(b)), "0x8 0");
		assert_string_equal(placed(r, "vdb", b, sizeof(b)), " 0");
		assert_string_equal(placed(r, "vdc", b, sizeof(b)), "0xa 0");
		vmdef_free(r);
	}
	/* the hole is the lowest free slot: the next disk takes it */
	assert_int_equal(vmdef_disk_plug(d, "/d,format=raw", &i, &steps, err,
	    sizeof(err)), 0);
	assert_non_null(strstr(json_object_to_json_string_ext(steps, JSON_C_TO_STRING_PLAIN),
	    "\"id\":\"vdb\",\"drive\":\"fmt-vdb\",\"addr\":\"0x9\""));
	json_object_put(steps);
	r = reparsed(d);
	assert_string_equal(placed(r, "vdb", b, sizeof(b)), "0x9 0");
	assert_string_equal(placed(r, "vdc", b, sizeof(b)), "0xa 0");
	vmdef_free(r);
	vmdef_free(d);

	/* q35: a free root port; the number of ports stays what QEMU has */
	d = tu_parse_ok("name: q\nmachine: q35\ndisk: /a,format=raw\n");
	assert_string_equal(placed(d, "vda", b, sizeof(b)), "pci.4/0x0 8");
	assert_int_equal(vmdef_disk_plug(d, "/b,format=raw", &i, &steps, err,
	    sizeof(err)), 0);
	assert_non_null(strstr(json_object_to_json_string_ext(steps, JSON_C_TO_STRING_PLAIN),
	    "\"bus\":\"pci.5\",\"addr\":\"0x0\""));
	json_object_put(steps);
	assert_int_equal(d->pcie_ports, 8);
	assert_int_equal(vmdef_disk_unplug(d, "vda", &steps, err, sizeof(err)),
	    0);
	json_object_put(steps);
	r = reparsed(d);
	assert_string_equal(placed(r, "vdb", b, sizeof(b)), "pci.5/0x0 8");
	char *t = vmdef_text(r);
	assert_non_null(strstr(t, "pcie_root_ports: 8\n"));
	assert_non_null(strstr(t, "disk: /b,format=raw,target=vdb,addr=5\n"));
	free(t);
	vmdef_free(r);
	/* the free ports (4, left by vda, and 6 to 8) run out: one clear
	 * line, d unchanged */
	for (int k = 0; k < 4; k++) {
		char v[32];
		snprintf(v, sizeof(v), "/x%d,format=raw", k);
		assert_int_equal(vmdef_disk_plug(d, v, &i, &steps, err,
		    sizeof(err)), 0);
		json_object_put(steps);
	}
	assert_int_equal(vmdef_disk_plug(d, "/y,format=raw", &i, &steps, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "disk vdf: no free PCIe root port "
	    "(pcie_root_ports: 8)");
	assert_int_equal(vmdef_disk_count(d), 5);
	vmdef_free(d);

	/* no PCI device at all: still four free ports after the fixed ones */
	d = tu_parse_ok("name: n\nmachine: q35\nballoon: off\n");
	assert_string_equal(placed(d, "vda", b, sizeof(b)), " 7");
	vmdef_free(d);
}

/* A disk without a format, or a size= disk without a path, is not built. */
static void
test_disk_not_ready(void **state)
{
	char err[512];
	struct argv a;

	(void)state;
	struct vmdef *d = tu_parse_ok("name: a\ndisk: /ok.raw,format=raw\n"
	    "disk: /x.qcow2\n");
	assert_int_equal(build(d, &a, err, sizeof(err)), -1);
	assert_string_equal(err, "disk vdb: no format; the supervisor probes "
	    "it when the definition is stored");
	vmdef_free(d);
	d = tu_parse_ok("name: a\ndisk: size=10,format=qcow2\n");
	assert_int_equal(build(d, &a, err, sizeof(err)), -1);
	assert_string_equal(err, "disk vda: no path; the supervisor creates "
	    "one (size=) when the definition is stored");
	vmdef_free(d);
	/* empty drives need neither */
	d = tu_parse_ok("name: a\ndisk: device=cdrom\ndisk: device=floppy\n");
	assert_int_equal(build(d, &a, err, sizeof(err)), 0);
	argv_free(&a);
	vmdef_free(d);
}

/* boot: kernel=, initrd=, kernel_args= are the kernel keys. */
static void
test_boot_kernel(void **state)
{
	struct vmdef *d;
	char *t;

	(void)state;
	d = tu_parse_ok("name: a\nboot: kernel=/k,initrd=/i,"
	    "kernel_args=console=ttyS0 root=/dev/vda,,rw\n");
	assert_string_equal(d->kernel, "/k");
	assert_string_equal(d->initrd, "/i");
	assert_string_equal(d->append, "console=ttyS0 root=/dev/vda,rw");
	assert_null(d->boot);
	t = vmdef_print(d);
	assert_non_null(strstr(t, "\nkernel: /k\ninitrd: /i\n"
	    "append: console=ttyS0 root=/dev/vda,rw\n"));
	assert_null(strstr(t, "\nboot:"));
	free(t);
	vmdef_free(d);
	d = tu_parse_ok("name: a\nboot: cdrom,hd,menu=on,kernel=/k\n");
	assert_string_equal(d->boot, "cdrom,hd,menu=on");
	assert_string_equal(d->kernel, "/k");
	vmdef_free(d);
	d = tu_parse_ok("name: a\nboot: network\n");
	assert_string_equal(d->boot, "network");
	vmdef_free(d);
}

/*
 * install: the phase boots the CD-ROM or the installer's kernel and
 * stops at a reboot; its end leaves the rest of the definition, with its
 * text; the boot order for afterwards is hard disks first.
 */
static void
test_install(void **state)
{
	struct vmdef *d, *ph;
	struct vmdef_disk k;
	char err[512], *t;

	(void)state;
	d = tu_parse_ok("name: a\n# the installer\ninstall: cdrom\n"
	    "disk: /d.qcow2,format=qcow2\ndisk: /x.iso,device=cdrom\n"
	    "disk: /e.qcow2,format=qcow2,bus=scsi\n");
	assert_int_equal(d->install.kind, INSTALL_CDROM);
	vmdef_install_boot_order(d);
	t = vmdef_text(d);
	assert_non_null(strstr(t, "disk: /d.qcow2,format=qcow2,boot_order=1\n"
	    "disk: /x.iso,device=cdrom,boot_order=3\n"
	    "disk: /e.qcow2,format=qcow2,bus=scsi,boot_order=2\n"));
	free(t);
	/* a second time changes nothing: the disks have their orders */
	assert_int_equal(vmdef_disk_boot_default(d), 0);
	ph = vmdef_install_phase(d, err, sizeof(err));
	assert_non_null(ph);
	assert_int_equal(ph->install.kind, INSTALL_NONE);
	assert_int_equal(ph->on_reboot, POLICY_DESTROY);
	assert_int_equal(d->on_reboot, POLICY_RESTART);
	t = vmdef_print(ph);
	assert_non_null(strstr(t, "disk: /d.qcow2,format=qcow2,boot_order=2\n"
	    "disk: /x.iso,device=cdrom,boot_order=1\n"
	    "disk: /e.qcow2,format=qcow2,bus=scsi,boot_order=3\n"));
	assert_null(strstr(t, "install:"));
	free(t);
	vmdef_free(ph);
	/* the end: the key goes, comments and the rest stay */
	vmdef_install_end(d);
	assert_int_equal(d->install.kind, INSTALL_NONE);
	t = vmdef_text(d);
	assert_null(strstr(t, "install:"));
	assert_non_null(strstr(t, "# the installer\ndisk: /d.qcow2"));
	free(t);
	vmdef_free(d);

	/* boot: with devices is the author's order: left as it is */
	d = tu_parse_ok("name: a\ninstall: cdrom\nboot: cdrom,hd\n"
	    "disk: /d.qcow2,format=qcow2\ndisk: /x.iso,device=cdrom\n");
	vmdef_install_boot_order(d);
	assert_int_equal(vmdef_disk_get(d, 0, &k), 0);
	t = vmdef_print(d);
	assert_null(strstr(t, "boot_order"));
	free(t);
	vmdef_free(d);

	/* the installer's kernel, printed back as it was given */
	d = tu_parse_ok("name: a\ninstall: kernel=/b/vmlinuz,initrd=/b/initrd,"
	    "append=console=ttyS0 a=b,,c,location=/srv/x.iso\n");
	assert_int_equal(d->install.kind, INSTALL_KERNEL);
	assert_string_equal(d->install.append, "console=ttyS0 a=b,c");
	assert_string_equal(d->install.location, "/srv/x.iso");
	t = vmdef_print(d);
	assert_non_null(strstr(t, "\ninstall: kernel=/b/vmlinuz,initrd=/b/initrd,"
	    "append=console=ttyS0 a=b,,c,location=/srv/x.iso\n"));
	free(t);
	struct vmdef *c = vmdef_dup(d);
	assert_string_equal(c->install.kernel, "/b/vmlinuz");
	vmdef_free(c);
	ph = vmdef_install_phase(d, err, sizeof(err));
	assert_string_equal(ph->kernel, "/b/vmlinuz");
	assert_string_equal(ph->initrd, "/b/initrd");
	assert_string_equal(ph->append, "console=ttyS0 a=b,c");
	vmdef_free(ph);
	vmdef_install_end(d);
	assert_null(d->install.kernel);
	t = vmdef_text(d);
	assert_null(strstr(t, "install"));
	free(t);
	vmdef_free(d);
}

static char *
jtext(struct json_object *o)
{
	return xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE));
}

/* The supervisor's decisions go into the definition and its text. */
static void
test_disk_set(void **state)
{
	char err[512];
	struct vmdef_disk vd;
	const char *in = "# web\nname: w\nuuid: 00000000-0000-4000-8000-00000000000a\n"
	    "disk: size=10\n"
	    "# disk: /old.img\n"
	    "memory: 1G\n"
	    "  disk :  /data.img,bus=scsi\n"
	    "disk: device=cdrom\n";
	struct vmdef *d;

	(void)state;
	d = tu_parse_ok(in);
	assert_int_equal(vmdef_disk_set_path(d, 0, "/var/lib/qlaunch/w-vda.qcow2",
	    err, sizeof(err)), 0);
	assert_int_equal(vmdef_disk_set_format(d, 0, "qcow2", err, sizeof(err)),
	    0);
	assert_int_equal(vmdef_disk_set_format(d, 1, "raw", err, sizeof(err)),
	    0);
	char *t = vmdef_text(d);
	assert_string_equal(t, "# web\nname: w\n"
	    "uuid: 00000000-0000-4000-8000-00000000000a\n"
	    "disk: /var/lib/qlaunch/w-vda.qcow2,format=qcow2,size=10\n"
	    "# disk: /old.img\n"
	    "memory: 1G\n"
	    "disk: /data.img,format=raw,bus=scsi\n"
	    "disk: device=cdrom\n");
	assert_int_equal(vmdef_disk_get(d, 0, &vd), 0);
	assert_string_equal(vd.path, "/var/lib/qlaunch/w-vda.qcow2");
	assert_string_equal(vd.format, "qcow2");
	assert_string_equal(vd.node, "fmt-vda");
	assert_int_equal(vd.size, 10ULL << 30);
	/* the text parses back to the same definition */
	struct vmdef *d2 = tu_parse_ok(t);
	char *p1 = vmdef_print(d), *p2 = vmdef_print(d2);
	assert_string_equal(p1, p2);
	free(p1);
	free(p2);
	vmdef_free(d2);
	free(t);

	/* errors leave d as it was */
	p1 = vmdef_text(d);
	assert_int_equal(vmdef_disk_set_path(d, 0, "/y", err, sizeof(err)), -1);
	assert_string_equal(err, "disk vda: only a disk given by its size "
	    "(size=, no path) gets a path");
	assert_int_equal(vmdef_disk_set_path(d, 2, "/y", err, sizeof(err)), -1);
	assert_string_equal(err, "disk hda: only a disk given by its size "
	    "(size=, no path) gets a path");
	assert_int_equal(vmdef_disk_set_path(d, 3, "/y", err, sizeof(err)), -1);
	assert_string_equal(err, "disk 3: no such disk line (3 in all)");
	assert_int_equal(vmdef_disk_set_format(d, 0, "vmdk", err, sizeof(err)),
	    -1);
	assert_string_equal(err, "disk vda: format 'vmdk' is not raw or qcow2");
	assert_int_equal(vmdef_disk_set_format(d, 7, "raw", err, sizeof(err)),
	    -1);
	assert_string_equal(err, "disk 7: no such disk line (3 in all)");
	p2 = vmdef_text(d);
	assert_string_equal(p1, p2);
	free(p1);
	free(p2);
	vmdef_free(d);

	d = tu_parse_ok("name: w\ndisk: /a.raw,format=raw\ndisk: size=1\n"
	    "disk: size=2\n");
	assert_int_equal(vmdef_disk_set_path(d, 1, "rel.img", err, sizeof(err)),
	    -1);
	assert_string_equal(err, "disk vdb: path 'rel.img' is not an absolute "
	    "path");
	assert_int_equal(vmdef_disk_set_path(d, 1, "/dev/sdc", err,
	    sizeof(err)), -1);
	assert_string_equal(err, "disk vdb: a block device is not created "
	    "(size=)");
	assert_int_equal(vmdef_disk_set_path(d, 1, "/a.raw", err, sizeof(err)),
	    -1);
	assert_string_equal(err, "disk: vda and vdb have the same path /a.raw "
	    "(only read-only disks may share one)");
	assert_int_equal(vmdef_disk_get(d, 1, &vd), 0);
	assert_null(vd.path);
	/* a definition built from flags has no text to change */
	assert_int_equal(vmdef_disk_set_path(d, 2, "/c.qcow2", err,
	    sizeof(err)), 0);
	vmdef_free(d);
}

/* A moved image: only the path changes, in the definition and its text. */
static void
test_disk_set_source(void **state)
{
	char err[512];
	struct vmdef_disk vd;
	struct vmdef *d;

	(void)state;
	d = tu_parse_ok("name: m\nuuid: 00000000-0000-4000-8000-00000000000b\n"
	    "# the system disk\n"
	    "disk: /old/m.qcow2,format=qcow2,size=2,bus=scsi,cache=none\n"
	    "disk: device=cdrom\n");
	assert_int_equal(vmdef_disk_set_source(d, 0, "/new/m.qcow2", NULL, err,
	    sizeof(err)), 0);
	char *t = vmdef_text(d);
	assert_string_equal(t, "name: m\n"
	    "uuid: 00000000-0000-4000-8000-00000000000b\n# the system disk\n"
	    "disk: /new/m.qcow2,format=qcow2,bus=scsi,cache=none\n"
	    "disk: device=cdrom\n");
	free(t);
	assert_int_equal(vmdef_disk_get(d, 0, &vd), 0);
	assert_string_equal(vd.path, "/new/m.qcow2");
	assert_string_equal(vd.node, "fmt-sda");
	/* errors leave d as it was */
	assert_int_equal(vmdef_disk_set_source(d, 0, "rel.qcow2", NULL, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "disk sda: path 'rel.qcow2' is not an "
	    "absolute path");
	assert_int_equal(vmdef_disk_set_source(d, 1, "/x.iso", NULL, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "disk hda: has no image");
	assert_int_equal(vmdef_disk_set_source(d, 2, "/x", NULL, err,
	    sizeof(err)),
	    -1);
	assert_string_equal(err, "disk 2: no such disk line (2 in all)");
	assert_int_equal(vmdef_disk_get(d, 0, &vd), 0);
	assert_string_equal(vd.path, "/new/m.qcow2");
	vmdef_free(d);
}

static const char *
step_text(struct json_object *steps, char *buf, size_t len)
{
	char *s = jtext(steps);

	strlcpy(buf, s, len);
	free(s);
	json_object_put(steps);
	return buf;
}

/* Hot-plug: the line added, and the steps with their undo. */
static void
test_disk_plug(void **state)
{
	char err[512], buf[4096];
	struct json_object *steps;
	struct argv a;
	size_t i;

	(void)state;
	struct vmdef *d = tu_parse_ok("name: p\n# disks\n"
	    "disk: /root.qcow2,format=qcow2\n"
	    "# net\nmemory: 1G\n");
	assert_int_equal(vmdef_disk_plug(d, "/data.raw,format=raw,cache=none,"
	    "serial=D1", &i, &steps, err, sizeof(err)), 0);
	assert_int_equal(i, 1);
	assert_string_equal(step_text(steps, buf, sizeof(buf)),
	    "[{\"execute\":\"blockdev-add\",\"arguments\":{\"driver\":\"file\","
	    "\"filename\":\"/data.raw\",\"node-name\":\"file-vdb\",\"cache\":"
	    "{\"direct\":true,\"no-flush\":false},\"read-only\":false},"
	    "\"undo\":{\"execute\":\"blockdev-del\",\"arguments\":"
	    "{\"node-name\":\"file-vdb\"}}},"
	    "{\"execute\":\"blockdev-add\",\"arguments\":{\"driver\":\"raw\","
	    "\"node-name\":\"fmt-vdb\",\"file\":\"file-vdb\",\"read-only\":false,"
	    "\"cache\":{\"direct\":true,\"no-flush\":false}},"
	    "\"undo\":{\"execute\":\"blockdev-del\",\"arguments\":"
	    "{\"node-name\":\"fmt-vdb\"}}},"
	    "{\"execute\":\"device_add\",\"arguments\":{\"driver\":"
	    "\"virtio-blk-pci\",\"id\":\"vdb\",\"drive\":\"fmt-vdb\","
	    "\"serial\":\"D1\",\"write-cache\":\"on\",\"addr\":\"0x8\"},"
	    "\"undo\":{\"execute\":\"device_del\",\"arguments\":"
	    "{\"id\":\"vdb\"}}}]");
	/* both disks' slots are written down: the next plug moves neither */
	char *t = vmdef_text(d);
	assert_non_null(strstr(t, "# disks\ndisk: /root.qcow2,format=qcow2,"
	    "addr=7\ndisk: /data.raw,format=raw,cache=none,serial=D1,addr=8\n"
	    "# net\n"));
	free(t);
	/* device_add's object is the command line's -device */
	assert_int_equal(build(d, &a, err, sizeof(err)), 0);
	assert_string_equal(device_arg(&a, "vdb"), "{\"driver\":"
	    "\"virtio-blk-pci\",\"id\":\"vdb\",\"drive\":\"fmt-vdb\","
	    "\"serial\":\"D1\",\"write-cache\":\"on\",\"addr\":\"0x8\"}");
	argv_free(&a);

	/* the first scsi disk brings its controller, the second not */
	assert_int_equal(vmdef_disk_plug(d, "/s1.qcow2,format=qcow2,bus=scsi",
	    &i, &steps, err, sizeof(err)), 0);
	assert_int_equal(i, 2);
	assert_string_equal(step_text(steps, buf, sizeof(buf)),
	    "[{\"execute\":\"device_add\",\"arguments\":{\"driver\":"
	    "\"virtio-scsi-pci\",\"id\":\"scsi0\",\"addr\":\"0x4\"},\"undo\":{\"execute\":"
	    "\"device_del\",\"arguments\":{\"id\":\"scsi0\"}}},"
	    "{\"execute\":\"blockdev-add\",\"arguments\":{\"driver\":\"file\","
	    "\"filename\":\"/s1.qcow2\",\"node-name\":\"file-sda\","
	    "\"read-only\":false},\"undo\":{\"execute\":\"blockdev-del\","
	    "\"arguments\":{\"node-name\":\"file-sda\"}}},"
	    "{\"execute\":\"blockdev-add\",\"arguments\":{\"driver\":\"qcow2\","
	    "\"node-name\":\"fmt-sda\",\"file\":\"file-sda\",\"read-only\":false},"
	    "\"undo\":{\"execute\":\"blockdev-del\",\"arguments\":"
	    "{\"node-name\":\"fmt-sda\"}}},"
	    "{\"execute\":\"device_add\",\"arguments\":{\"driver\":\"scsi-hd\","
	    "\"id\":\"sda\",\"drive\":\"fmt-sda\",\"bus\":\"scsi0.0\","
	    "\"scsi-id\":0,\"lun\":0},\"undo\":{\"execute\":\"device_del\","
	    "\"arguments\":{\"id\":\"sda\"}}}]");
	assert_int_equal(vmdef_disk_plug(d, "device=cdrom,bus=scsi", &i, &steps,
	    err, sizeof(err)), 0);
	assert_int_equal(i, 3);
	assert_string_equal(step_text(steps, buf, sizeof(buf)),
	    "[{\"execute\":\"device_add\",\"arguments\":{\"driver\":\"scsi-cd\","
	    "\"id\":\"sdb\",\"bus\":\"scsi0.0\",\"scsi-id\":1,\"lun\":0},"
	    "\"undo\":{\"execute\":\"device_del\",\"arguments\":"
	    "{\"id\":\"sdb\"}}}]");
	assert_int_equal(build(d, &a, err, sizeof(err)), 0);
	assert_string_equal(device_arg(&a, "sdb"), "{\"driver\":\"scsi-cd\","
	    "\"id\":\"sdb\",\"bus\":\"scsi0.0\",\"scsi-id\":1,\"lun\":0}");
	argv_free(&a);

	/* refused: d, its text and steps untouched */
	char *before = vmdef_text(d);
	static const struct {
		const char *value, *want;
	} bad[] = {
		{ "/h.raw,format=raw,bus=ide", "disk hda: QEMU cannot hot-plug "
		    "a disk on bus ide (virtio and scsi can)" },
		{ "/h.raw,format=raw,bus=sata", "disk sdc: QEMU cannot hot-plug "
		    "a disk on bus sata (virtio and scsi can)" },
		{ "/f.img,format=raw,device=floppy", "disk fda: QEMU cannot "
		    "hot-plug a disk on bus fdc (virtio and scsi can)" },
		{ "/n.qcow2", "disk vdc: no format; the supervisor probes it "
		    "when the definition is stored" },
		{ "size=4,format=qcow2", "disk vdc: no path; the supervisor "
		    "creates one (size=) when the definition is stored" },
		{ "/root.qcow2,format=qcow2", "disk: vda and vdc have the same "
		    "path /root.qcow2 (only read-only disks may share one)" },
		{ "/x,format=raw,target=vda", "disk vda: the VM has a disk vda "
		    "already" },
		{ "/x,format=raw,target=vdb", "disk vdb: the VM has a disk vdb "
		    "already" },
		{ "/x,format=raw,bus=usb", "disk: bus usb: USB storage is not "
		    "supported yet (virtio, scsi, sata, ide)" },
		{ "", "disk: empty value" },
		{ "/x,format=raw\nname: evil", "disk: value spans lines" },
	};
	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		steps = NULL;
		if (vmdef_disk_plug(d, bad[k].value, &i, &steps, err,
		    sizeof(err)) != -1)
			fail_msg("case %zu plugged", k);
		if (strcmp(err, bad[k].want) != 0)
			fail_msg("case %zu: got '%s', want '%s'", k, err,
			    bad[k].want);
		assert_null(steps);
	}
	t = vmdef_text(d);
	assert_string_equal(t, before);
	assert_int_equal(vmdef_disk_count(d), 4);
	free(t);
	free(before);
	vmdef_free(d);

	d = tu_parse_ok("name: m\nmachine: microvm\n");
	assert_int_equal(vmdef_disk_plug(d, "/x,format=raw", &i, &steps, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "disk vda: microvm cannot hot-plug devices");
	vmdef_free(d);

	/* into a definition without disks: the line goes at the end */
	d = tu_parse_ok("name: e\n# nothing else\n");
	assert_int_equal(vmdef_disk_plug(d, "/e.raw,format=raw", &i, &steps,
	    err, sizeof(err)), 0);
	json_object_put(steps);
	assert_int_equal(i, 0);
	t = vmdef_text(d);
	assert_non_null(strstr(t, "# nothing else\n"));
	assert_non_null(strstr(t, "\ndisk: /e.raw,format=raw,addr=7\n"));
	free(t);
	vmdef_free(d);
}

/* Unplug: device_del, then the nodes; the other disks keep their names. */
static void
test_disk_unplug(void **state)
{
	char err[512], buf[2048];
	struct json_object *steps;
	struct vmdef_disk vd;

	(void)state;
	struct vmdef *d = tu_parse_ok("name: u\n"
	    "disk: /a.qcow2,format=qcow2   \n"
	    "# the data disk\n"
	    "disk: /b.raw,format=raw,serial=B\n"
	    "disk: /c.raw,format=raw,target=vda\n"
	    "disk: device=cdrom,bus=scsi\n"
	    "disk: /d.raw,format=raw\n"
	    "memory: 1G\n");
	/* vdb vdc vda sda vdd */
	assert_int_equal(vmdef_disk_unplug(d, "vdb", &steps, err, sizeof(err)),
	    0);
	assert_string_equal(step_text(steps, buf, sizeof(buf)),
	    "[{\"execute\":\"device_del\",\"arguments\":{\"id\":\"vdb\"}},"
	    "{\"execute\":\"blockdev-del\",\"arguments\":"
	    "{\"node-name\":\"fmt-vdb\"}},"
	    "{\"execute\":\"blockdev-del\",\"arguments\":"
	    "{\"node-name\":\"file-vdb\"}}]");
	/* vdc and vdd would have moved up: their lines name them now */
	char *t = vmdef_text(d), wtext[512];
	snprintf(wtext, sizeof(wtext), "name: u\n"
	    "# the data disk\n"
	    "disk: /b.raw,format=raw,target=vdc,serial=B,addr=8\n"
	    "disk: /c.raw,format=raw,target=vda,addr=9\n"
	    "disk: device=cdrom,bus=scsi\n"
	    "disk: /d.raw,format=raw,target=vdd,addr=10\n"
	    "memory: 1G\n"
	    "uuid: %s\n", d->uuid);
	assert_string_equal(t, wtext);
	free(t);
	static const char *const want[] = { "vdc", "vda", "sda", "vdd" };
	assert_int_equal(vmdef_disk_count(d), 4);
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(vmdef_disk_get(d, i, &vd), 0);
		assert_string_equal(vd.target, want[i]);
	}
	/* an empty drive has no nodes; its controller goes with it */
	assert_int_equal(vmdef_disk_unplug(d, "sda", &steps, err, sizeof(err)),
	    0);
	assert_string_equal(step_text(steps, buf, sizeof(buf)),
	    "[{\"execute\":\"device_del\",\"arguments\":{\"id\":\"sda\"}},"
	    "{\"execute\":\"device_del\",\"arguments\":{\"id\":\"scsi0\"}}]");
	assert_int_equal(vmdef_disk_unplug(d, "sda", &steps, err, sizeof(err)),
	    -1);
	assert_string_equal(err, "disk sda: no such disk");
	vmdef_free(d);

	/* not while another disk is on it */
	d = tu_parse_ok("name: u\ndisk: /a,format=raw,bus=scsi\n"
	    "disk: /b,format=raw,bus=scsi\n");
	assert_int_equal(vmdef_disk_unplug(d, "sda", &steps, err, sizeof(err)),
	    0);
	assert_string_equal(step_text(steps, buf, sizeof(buf)),
	    "[{\"execute\":\"device_del\",\"arguments\":{\"id\":\"sda\"}},"
	    "{\"execute\":\"blockdev-del\",\"arguments\":"
	    "{\"node-name\":\"fmt-sda\"}},"
	    "{\"execute\":\"blockdev-del\",\"arguments\":"
	    "{\"node-name\":\"file-sda\"}}]");
	vmdef_free(d);

	d = tu_parse_ok("name: u\ndisk: /a,format=raw,bus=ide\n"
	    "disk: /f,format=raw,device=floppy\n");
	assert_int_equal(vmdef_disk_unplug(d, "hda", &steps, err, sizeof(err)),
	    -1);
	assert_string_equal(err, "disk hda: QEMU cannot unplug a disk on bus "
	    "ide (virtio and scsi can)");
	assert_int_equal(vmdef_disk_unplug(d, "fda", &steps, err, sizeof(err)),
	    -1);
	assert_string_equal(err, "disk fda: QEMU cannot unplug a disk on bus "
	    "fdc (virtio and scsi can)");
	assert_int_equal(vmdef_disk_count(d), 2);
	vmdef_free(d);
}

/* A new medium keeps the node names: open, remove, delete, add, insert. */
static void
test_disk_change_media(void **state)
{
	char err[512], buf[4096];
	struct json_object *steps;
	struct vmdef_disk vd;

	(void)state;
	struct vmdef *d = tu_parse_ok("name: c\nuuid: 00000000-0000-4000-8000-00000000000c\n"
	    "disk: /r.qcow2,format=qcow2\n"
	    "# the installer\n"
	    "disk: device=cdrom,boot_order=1\n");
	/* into the empty drive: nothing to delete */
	assert_int_equal(vmdef_disk_change_media(d, "hda", "/isos/a b,,c.iso",
	    0, &steps, err, sizeof(err)), 0);
	assert_string_equal(step_text(steps, buf, sizeof(buf)),
	    "[{\"execute\":\"blockdev-open-tray\",\"arguments\":"
	    "{\"id\":\"hda\",\"force\":false}},"
	    "{\"execute\":\"blockdev-remove-medium\",\"arguments\":"
	    "{\"id\":\"hda\"}},"
	    "{\"execute\":\"blockdev-add\",\"arguments\":{\"driver\":\"file\","
	    "\"filename\":\"/isos/a b,,c.iso\",\"node-name\":\"file-hda\","
	    "\"read-only\":true},\"undo\":{\"execute\":\"blockdev-del\","
	    "\"arguments\":{\"node-name\":\"file-hda\"}}},"
	    "{\"execute\":\"blockdev-add\",\"arguments\":{\"driver\":\"raw\","
	    "\"node-name\":\"fmt-hda\",\"file\":\"file-hda\",\"read-only\":true},"
	    "\"undo\":{\"execute\":\"blockdev-del\",\"arguments\":"
	    "{\"node-name\":\"fmt-hda\"}}},"
	    "{\"execute\":\"blockdev-insert-medium\",\"arguments\":"
	    "{\"id\":\"hda\",\"node-name\":\"fmt-hda\"},\"undo\":{\"execute\":"
	    "\"blockdev-remove-medium\",\"arguments\":{\"id\":\"hda\"}}},"
	    "{\"execute\":\"blockdev-close-tray\",\"arguments\":"
	    "{\"id\":\"hda\"}}]");
	char *t = vmdef_text(d);
	assert_string_equal(t, "name: c\nuuid: 00000000-0000-4000-8000-00000000000c\n"
	    "disk: /r.qcow2,format=qcow2\n# the installer\n"
	    "disk: /isos/a b,,,,c.iso,format=raw,device=cdrom,boot_order=1\n");
	free(t);
	assert_int_equal(vmdef_disk_get(d, 1, &vd), 0);
	assert_string_equal(vd.path, "/isos/a b,,c.iso");
	assert_string_equal(vd.node, "fmt-hda");

	/* another: the old nodes go first, forced open */
	assert_int_equal(vmdef_disk_change_media(d, "hda", "/dev/sr0", 1,
	    &steps, err, sizeof(err)), 0);
	assert_string_equal(step_text(steps, buf, sizeof(buf)),
	    "[{\"execute\":\"blockdev-open-tray\",\"arguments\":"
	    "{\"id\":\"hda\",\"force\":true}},"
	    "{\"execute\":\"blockdev-remove-medium\",\"arguments\":"
	    "{\"id\":\"hda\"}},"
	    "{\"execute\":\"blockdev-del\",\"arguments\":"
	    "{\"node-name\":\"fmt-hda\"}},"
	    "{\"execute\":\"blockdev-del\",\"arguments\":"
	    "{\"node-name\":\"file-hda\"}},"
	    "{\"execute\":\"blockdev-add\",\"arguments\":{\"driver\":"
	    "\"host_cdrom\",\"filename\":\"/dev/sr0\",\"node-name\":\"file-hda\","
	    "\"read-only\":true},\"undo\":{\"execute\":\"blockdev-del\","
	    "\"arguments\":{\"node-name\":\"file-hda\"}}},"
	    "{\"execute\":\"blockdev-add\",\"arguments\":{\"driver\":\"raw\","
	    "\"node-name\":\"fmt-hda\",\"file\":\"file-hda\",\"read-only\":true},"
	    "\"undo\":{\"execute\":\"blockdev-del\",\"arguments\":"
	    "{\"node-name\":\"fmt-hda\"}}},"
	    "{\"execute\":\"blockdev-insert-medium\",\"arguments\":"
	    "{\"id\":\"hda\",\"node-name\":\"fmt-hda\"},\"undo\":{\"execute\":"
	    "\"blockdev-remove-medium\",\"arguments\":{\"id\":\"hda\"}}},"
	    "{\"execute\":\"blockdev-close-tray\",\"arguments\":"
	    "{\"id\":\"hda\"}}]");

	/* eject: the tray stays open, the line has no medium */
	assert_int_equal(vmdef_disk_change_media(d, "hda", NULL, 0, &steps, err,
	    sizeof(err)), 0);
	assert_string_equal(step_text(steps, buf, sizeof(buf)),
	    "[{\"execute\":\"blockdev-open-tray\",\"arguments\":"
	    "{\"id\":\"hda\",\"force\":false}},"
	    "{\"execute\":\"blockdev-remove-medium\",\"arguments\":"
	    "{\"id\":\"hda\"}},"
	    "{\"execute\":\"blockdev-del\",\"arguments\":"
	    "{\"node-name\":\"fmt-hda\"}},"
	    "{\"execute\":\"blockdev-del\",\"arguments\":"
	    "{\"node-name\":\"file-hda\"}}]");
	t = vmdef_text(d);
	assert_non_null(strstr(t, "# the installer\n"
	    "disk: device=cdrom,boot_order=1\n"));
	free(t);
	assert_int_equal(vmdef_disk_get(d, 1, &vd), 0);
	assert_null(vd.path);
	assert_null(vd.node);

	/* errors */
	assert_int_equal(vmdef_disk_change_media(d, "vda", "/x.iso", 0, &steps,
	    err, sizeof(err)), -1);
	assert_string_equal(err, "disk vda: only a cdrom or a floppy has "
	    "removable media");
	assert_int_equal(vmdef_disk_change_media(d, "hdc", "/x.iso", 0, &steps,
	    err, sizeof(err)), -1);
	assert_string_equal(err, "disk hdc: no such disk");
	assert_int_equal(vmdef_disk_change_media(d, "hda", "x.iso", 0, &steps,
	    err, sizeof(err)), -1);
	assert_string_equal(err, "disk hda: path 'x.iso' is not an absolute "
	    "path");
	assert_int_equal(vmdef_disk_change_media(d, "hda", "/r.qcow2", 0,
	    &steps, err, sizeof(err)), -1);
	assert_string_equal(err, "disk: vda and hda have the same path "
	    "/r.qcow2 (only read-only disks may share one)");
	assert_int_equal(vmdef_disk_get(d, 1, &vd), 0);
	assert_null(vd.path);
	vmdef_free(d);

	/* a floppy's medium changes the same way; it is not created */
	d = tu_parse_ok("name: f\ndisk: /old.img,device=floppy,size=1M,"
	    "sparse=no\n");
	assert_int_equal(vmdef_disk_change_media(d, "fda", "/f.img", 0, &steps,
	    err, sizeof(err)), 0);
	json_object_put(steps);
	assert_int_equal(vmdef_disk_get(d, 0, &vd), 0);
	assert_string_equal(vd.path, "/f.img");
	assert_string_equal(vd.format, "raw");
	assert_int_equal(vd.readonly, 0);
	assert_int_equal(vd.size, 0);
	assert_int_equal(vd.sparse, 1);
	char *t2 = vmdef_text(d);
	assert_non_null(strstr(t2, "\ndisk: /f.img,format=raw,device=floppy\n"));
	free(t2);
	vmdef_free(d);
}

/* cputune: canonical text, get and set; CPU lists both ways. */
static void
test_cputune(void **state)
{
	char err[256], buf[64];
	cpu_set_t set;

	(void)state;
	struct vmdef *d = vmdef_parse("name: a\nvcpus: 2\n"
	    "cputune: vcpupin1=1,emulatorpin=1,,0,vcpupin0=0-1\n", "vm.conf",
	    err, sizeof(err));
	assert_non_null(d);
	assert_string_equal(d->cputune, "emulatorpin=0-1,vcpupin0=0-1,vcpupin1=1");
	assert_string_equal(cputune_get(d, "vcpupin1", buf, sizeof(buf)), "1");
	assert_null(cputune_get(d, "vcpupin5", buf, sizeof(buf)));
	assert_int_equal(cputune_set(d, "vcpupin1", "0,1", err, sizeof(err)), 0);
	assert_int_equal(cputune_set(d, "emulatorpin", NULL, err, sizeof(err)), 0);
	assert_string_equal(d->cputune, "vcpupin0=0-1,vcpupin1=0-1");
	assert_int_equal(cputune_set(d, "vcpupin1", "x", err, sizeof(err)), -1);
	assert_string_equal(err, "'x' is not a CPU list (0-3,6)");
	assert_string_equal(d->cputune, "vcpupin0=0-1,vcpupin1=0-1");
	char *t = vmdef_print(d);
	assert_non_null(strstr(t, "\ncputune: vcpupin0=0-1,vcpupin1=0-1\n"));
	free(t);
	vmdef_free(d);

	assert_int_equal(cpulist_parse("0-2,5,7-8", &set, err, sizeof(err)), 0);
	assert_int_equal(CPU_COUNT(&set), 6);
	assert_string_equal(cpulist_format(&set, buf, sizeof(buf)), "0-2,5,7-8");
	assert_int_equal(cpulist_parse("1,", &set, err, sizeof(err)), -1);
	assert_int_equal(cpulist_parse("", &set, err, sizeof(err)), -1);
	assert_string_equal(err, "empty CPU list");
	CPU_ZERO(&set);
	CPU_SET(CPU_SETSIZE - 1, &set);
	assert_int_equal(cpulist_host_check(&set, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "the host has no CPU 1023 (it has "));
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
		cmocka_unit_test(test_disk_errors),
		cmocka_unit_test(test_disk_forms),
		cmocka_unit_test(test_disk_targets),
		cmocka_unit_test(test_disk_roundtrip),
		cmocka_unit_test(test_disk_not_ready),
		cmocka_unit_test(test_boot_kernel),
		cmocka_unit_test(test_install),
		cmocka_unit_test(test_disk_set),
		cmocka_unit_test(test_disk_set_source),
		cmocka_unit_test(test_disk_plug),
		cmocka_unit_test(test_disk_unplug),
		cmocka_unit_test(test_disk_change_media),
		cmocka_unit_test(test_pci_stable),
		cmocka_unit_test(test_vnc_listen_default),
		cmocka_unit_test(test_golden),
		cmocka_unit_test(test_cputune),
		cmocka_unit_test(test_path_escaping),
		cmocka_unit_test(test_rmtree),
		cmocka_unit_test(test_text_kept),
	};
	return cmocka_run_group_tests_name("vmdef", tests, NULL, NULL);
}
