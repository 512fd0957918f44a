/*
 * Install media (images/media.c): the table of layouts, and the kernel
 * and initrd taken from small ISO images made here with genisoimage (each
 * layout, Rock Ridge and plain ISO 9660 names) and from install trees;
 * the errors (a missing file, garbage, an empty file, an ISO or a tree
 * without a known layout) each give one line and leave nothing behind.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "media.h"
#include "testutil.h"
#include "util.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

struct fx {
	char	*dir;
	char	 tree[PATH_MAX];	/* what an ISO is made from */
	char	 out[PATH_MAX];		/* where the files go */
};

static int
fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	f->dir = tu_mkdtemp("media");
	snprintf(f->tree, sizeof(f->tree), "%s/tree", f->dir);
	snprintf(f->out, sizeof(f->out), "%s/boot/vm1", f->dir);
	*state = f;
	return 0;
}

static int
fx_teardown(void **state)
{
	struct fx *f = *state;

	tu_rmtree(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

static void
put(const char *dir, const char *rel, const char *text)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	char *slash = strrchr(p, '/');
	*slash = '\0';
	assert_int_equal(mkdirs(p, 0755), 0);
	*slash = '/';
	assert_int_equal(write_file_replace(p, text, strlen(text), 0644), 0);
}

static const char *
genisoimage(void)
{
	static const char *const where[] = { "/usr/bin/genisoimage",
	    "/bin/genisoimage" };

	for (size_t i = 0; i < NELEM(where); i++)
		if (access(where[i], X_OK) == 0)
			return where[i];
	return NULL;
}

/* The tree made an ISO image; Rock Ridge names unless plain. */
static void
mkiso(struct fx *f, const char *iso, int plain)
{
	const char *g = genisoimage();
	char log[PATH_MAX];

	if (g == NULL)
		skip();		/* Debian package genisoimage */
	snprintf(log, sizeof(log), "%s/genisoimage.log", f->dir);
	char *const rr[] = { (char *)g, "-quiet", "-R", "-o", (char *)iso,
	    f->tree, NULL };
	char *const iso9660[] = { (char *)g, "-quiet", "-o", (char *)iso,
	    f->tree, NULL };
	pid_t pid = tu_spawn(plain ? iso9660 : rr, log);
	int st = tu_reap(pid, 30000);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static void
assert_file(const char *path, const char *text)
{
	char *s = tu_slurp(path, NULL);

	assert_non_null(s);
	assert_string_equal(s, text);
	free(s);
}

/* Nothing of a failed extraction stays. */
static void
assert_no_out(const struct fx *f)
{
	struct stat st;

	assert_int_equal(stat(f->out, &st), -1);
	assert_int_equal(errno, ENOENT);
}

static void
test_layouts(void **state)
{
	(void)state;
	/* every row is found by its own two names */
	for (size_t i = 0; i < nmedia_layouts; i++) {
		const char *names[] = { "README", media_layouts[i].kernel,
		    media_layouts[i].initrd };
		assert_ptr_equal(media_layout_match(names, 3),
		    &media_layouts[i]);
		/* a kernel alone is not a layout */
		assert_null(media_layout_match(names, 2));
	}
	/* the names of the layouts the installers use */
	static const struct {
		const char	*kernel, *initrd;
	} known[] = {
		{ "install.amd/vmlinuz", "install.amd/initrd.gz" },
		{ "install/vmlinuz", "install/initrd.gz" },
		{ "casper/vmlinuz", "casper/initrd" },
		{ "images/pxeboot/vmlinuz", "images/pxeboot/initrd.img" },
		{ "isolinux/vmlinuz", "isolinux/initrd.img" },
	};
	for (size_t i = 0; i < NELEM(known); i++) {
		const char *names[] = { known[i].kernel, known[i].initrd };
		const struct media_layout *l = media_layout_match(names, 2);
		assert_non_null(l);
		assert_string_equal(l->kernel, known[i].kernel);
	}
	/* without case, with a leading "/" or "./" */
	const char *upper[] = { "/ISOLINUX/VMLINUZ", "./isolinux/INITRD.IMG" };
	assert_ptr_equal(media_layout_match(upper, 2),
	    &media_layouts[nmedia_layouts - 1]);
	/* the first row wins: Debian's before the isolinux files */
	const char *both[] = { "isolinux/vmlinuz", "isolinux/initrd.img",
	    "install.amd/vmlinuz", "install.amd/initrd.gz" };
	assert_string_equal(media_layout_match(both, 4)->kernel,
	    "install.amd/vmlinuz");
	/* near misses */
	const char *near[] = { "isolinux/vmlinuz.old", "isolinux/initrd",
	    "casper/vmlinuz", "casper/initrd.gz", "xinstall/vmlinuz",
	    "xinstall/initrd.gz" };
	assert_null(media_layout_match(near, NELEM(near)));
	assert_null(media_layout_match(NULL, 0));
}

/* Each layout in an ISO image: its two files come out, nothing else. */
static void
test_iso_each_layout(void **state)
{
	struct fx *f = *state;
	char iso[PATH_MAX], k[PATH_MAX], i[PATH_MAX], err[512], rm[PATH_MAX];
	const struct media_layout *l;

	for (size_t n = 0; n < nmedia_layouts; n++) {
		snprintf(iso, sizeof(iso), "%s/l%zu.iso", f->dir, n);
		tu_rmtree(f->tree);
		put(f->tree, media_layouts[n].kernel, "KERNEL-");
		put(f->tree, media_layouts[n].initrd, "INITRD-");
		put(f->tree, "pool/main/x.deb", "package");
		mkiso(f, iso, 0);
		err[0] = '\0';
		assert_int_equal(media_find_kernel(iso, f->out, k, sizeof(k),
		    i, sizeof(i), &l, err, sizeof(err)), 0);
		assert_string_equal(err, "");
		assert_ptr_equal(l, &media_layouts[n]);
		snprintf(rm, sizeof(rm), "%s/" MEDIA_KERNEL, f->out);
		assert_string_equal(k, rm);
		snprintf(rm, sizeof(rm), "%s/" MEDIA_INITRD, f->out);
		assert_string_equal(i, rm);
		assert_file(k, "KERNEL-");
		assert_file(i, "INITRD-");
		struct stat st;
		assert_int_equal(stat(k, &st), 0);
		assert_int_equal(st.st_mode & 0777, 0644);
		tu_rmtree(f->out);
	}
}

/* Plain ISO 9660 names (upper case, no Rock Ridge) are found too. */
static void
test_iso_plain_names(void **state)
{
	struct fx *f = *state;
	char iso[PATH_MAX], k[PATH_MAX], i[PATH_MAX], err[512];

	snprintf(iso, sizeof(iso), "%s/plain.iso", f->dir);
	put(f->tree, "install/vmlinuz", "plain kernel");
	put(f->tree, "install/initrd.gz", "plain initrd");
	mkiso(f, iso, 1);
	assert_int_equal(media_find_kernel(iso, f->out, k, sizeof(k), i,
	    sizeof(i), NULL, err, sizeof(err)), 0);
	assert_file(k, "plain kernel");
	assert_file(i, "plain initrd");
}

/* A file larger than a read buffer comes out whole. */
static void
test_iso_large_file(void **state)
{
	struct fx *f = *state;
	char iso[PATH_MAX], k[PATH_MAX], i[PATH_MAX], err[512];
	size_t n = 3 * 1024 * 1024 + 17;
	char *big = malloc(n + 1);

	for (size_t j = 0; j < n; j++)
		big[j] = (char)('a' + j % 23);
	big[n] = '\0';
	snprintf(iso, sizeof(iso), "%s/big.iso", f->dir);
	put(f->tree, "images/pxeboot/vmlinuz", big);
	put(f->tree, "images/pxeboot/initrd.img", "small");
	mkiso(f, iso, 0);
	assert_int_equal(media_find_kernel(iso, f->out, k, sizeof(k), i,
	    sizeof(i), NULL, err, sizeof(err)), 0);
	assert_file(k, big);
	free(big);
}

static void
test_iso_errors(void **state)
{
	struct fx *f = *state;
	char p[PATH_MAX], k[PATH_MAX], i[PATH_MAX], err[512];

	/* missing */
	snprintf(p, sizeof(p), "%s/none.iso", f->dir);
	assert_int_equal(media_find_kernel(p, f->out, k, sizeof(k), i,
	    sizeof(i), NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "none.iso: No such file or directory"));
	assert_no_out(f);
	/* garbage */
	snprintf(p, sizeof(p), "%s/garbage.iso", f->dir);
	put(f->dir, "garbage.iso", "this is not an ISO image at all\n");
	assert_int_equal(media_find_kernel(p, f->out, k, sizeof(k), i,
	    sizeof(i), NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "garbage.iso: not an ISO image or an "
	    "install tree"));
	assert_null(strchr(err, '\n'));
	assert_no_out(f);
	/* empty */
	snprintf(p, sizeof(p), "%s/empty.iso", f->dir);
	assert_int_equal(write_file_replace(p, "", 0, 0644), 0);
	assert_int_equal(media_find_kernel(p, f->out, k, sizeof(k), i,
	    sizeof(i), NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "empty.iso: not an ISO image"));
	assert_no_out(f);
	/* an ISO image without a known layout: what was looked for */
	snprintf(p, sizeof(p), "%s/nolayout.iso", f->dir);
	put(f->tree, "boot/vmlinuz", "k");
	put(f->tree, "isolinux/vmlinuz", "k");	/* no initrd beside it */
	mkiso(f, p, 0);
	assert_int_equal(media_find_kernel(p, f->out, k, sizeof(k), i,
	    sizeof(i), NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "nolayout.iso: no installer kernel in "
	    "this ISO image (looked for install.amd/vmlinuz, "));
	assert_non_null(strstr(err, "isolinux/vmlinuz)"));
	assert_no_out(f);
}

static void
test_tree(void **state)
{
	struct fx *f = *state;
	char k[PATH_MAX], i[PATH_MAX], err[512];
	const struct media_layout *l;

	put(f->tree, "casper/vmlinuz", "tree kernel");
	put(f->tree, "casper/initrd", "tree initrd");
	assert_int_equal(media_is_tree(f->tree, err, sizeof(err)), 1);
	assert_int_equal(media_find_kernel(f->tree, f->out, k, sizeof(k), i,
	    sizeof(i), &l, err, sizeof(err)), 0);
	assert_string_equal(l->kernel, "casper/vmlinuz");
	assert_file(k, "tree kernel");
	assert_file(i, "tree initrd");
	/* again: the copies are replaced */
	put(f->tree, "casper/vmlinuz", "newer kernel");
	assert_int_equal(media_find_kernel(f->tree, f->out, k, sizeof(k), i,
	    sizeof(i), &l, err, sizeof(err)), 0);
	assert_file(k, "newer kernel");
	tu_rmtree(f->out);
	/* a tree without a layout */
	tu_rmtree(f->tree);
	put(f->tree, "casper/vmlinuz", "k");
	put(f->tree, "install.amd/initrd.gz", "i");
	assert_int_equal(media_find_kernel(f->tree, f->out, k, sizeof(k), i,
	    sizeof(i), NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "tree: no installer kernel in this "
	    "install tree (looked for "));
	assert_no_out(f);
	/* a directory where a file is expected is not a layout's file */
	tu_rmtree(f->tree);
	put(f->tree, "isolinux/vmlinuz/x", "k");
	put(f->tree, "isolinux/initrd.img", "i");
	assert_int_equal(media_find_kernel(f->tree, f->out, k, sizeof(k), i,
	    sizeof(i), NULL, err, sizeof(err)), -1);
	assert_no_out(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layouts),
		cmocka_unit_test_setup_teardown(test_iso_each_layout, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_iso_plain_names, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_iso_large_file, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_iso_errors, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_tree, fx_setup,
		    fx_teardown),
	};

	return cmocka_run_group_tests_name("media", tests, NULL, NULL);
}
