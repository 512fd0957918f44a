# Included by Makefile.in: the fuzz targets over the supervisor's code.
# Each source they reach is built again by clang in fuzzobj/, with
# libFuzzer's coverage and ASan/UBSan (-fsanitize=fuzzer-no-link), so
# that the normal objects stay gcc's.  Corpora: tests/fuzz/corpus/NAME/.

UNIT_TESTS	+= tests/unit/test_fuzzfound
FUZZERS		+= tests/fuzz/fuzz_props tests/fuzz/fuzz_qimg \
		   tests/fuzz/fuzz_vmdef tests/fuzz/fuzz_control

FUZZ_SAN	= -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS	= -std=c11 -D_GNU_SOURCE -g -O1 $(FUZZ_SAN) -I$(builddir) \
		  -I$(L)/common -I$(L)/def -I$(srcdir)/images \
		  -I$(srcdir)/netscripts -I$(L)/daemon -I$(srcdir)/qmp \
		  -I$(srcdir)/tests/fuzz $(DEP_CFLAGS)
fuzzsrc		= $(patsubst $(srcdir)/%.c,fuzzobj/%.o,$(wildcard $(1)))
FZ_COMMON	= $(call fuzzsrc,$(L)/common/*.c)
FZ_DEF		= $(call fuzzsrc,$(L)/def/*.c)
FZ_IMAGES	= $(call fuzzsrc,$(srcdir)/images/*.c)
FZ_NET		= $(call fuzzsrc,$(srcdir)/netscripts/*.c)
FZ_QMP		= $(call fuzzsrc,$(srcdir)/qmp/*.c)
FZ_DAEMON	= $(filter-out fuzzobj/launcher/daemon/qlaunchd.o, \
		  $(call fuzzsrc,$(L)/daemon/*.c))
FZ_ALL		= $(FZ_DAEMON) $(FZ_DEF) $(FZ_IMAGES) $(FZ_NET) $(FZ_COMMON) $(FZ_QMP)

fuzzobj/%.o: %.c config.h
	@test -n "$(FUZZCC)" || { echo "make fuzz needs clang with libFuzzer (Debian packages: clang, libclang-rt-14-dev)" >&2; exit 1; }
	@mkdir -p $(@D)
	$(FUZZCC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

fuzzobj/libfz_common.a: $(FZ_COMMON)
	rm -f $@ && ar rcs $@ $^
fuzzobj/libfz_def.a: $(FZ_DEF)
	rm -f $@ && ar rcs $@ $^
fuzzobj/libfz_images.a: $(FZ_IMAGES)
	rm -f $@ && ar rcs $@ $^
fuzzobj/libfz_all.a: $(FZ_ALL)
	rm -f $@ && ar rcs $@ $^

FUZZ_LINK	= $(FUZZCC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@

tests/fuzz/fuzz_props: $(srcdir)/tests/fuzz/fuzz_props.c fuzzobj/libfz_common.a
	@mkdir -p $(@D)
	$(FUZZ_LINK) $< fuzzobj/libfz_common.a $(DEP_LIBS)

tests/fuzz/fuzz_qimg: $(srcdir)/tests/fuzz/fuzz_qimg.c fuzzobj/libfz_images.a \
    fuzzobj/libfz_common.a
	@mkdir -p $(@D)
	$(FUZZ_LINK) $< fuzzobj/libfz_images.a fuzzobj/libfz_common.a $(DEP_LIBS)

tests/fuzz/fuzz_vmdef: $(srcdir)/tests/fuzz/fuzz_vmdef.c fuzzobj/libfz_def.a \
    fuzzobj/libfz_common.a
	@mkdir -p $(@D)
	$(FUZZ_LINK) $< fuzzobj/libfz_def.a fuzzobj/libfz_common.a $(DEP_LIBS)

tests/fuzz/fuzz_control: $(srcdir)/tests/fuzz/fuzz_control.c fuzzobj/libfz_all.a
	@mkdir -p $(@D)
	$(FUZZ_LINK) $< fuzzobj/libfz_all.a $(DEP_LIBS)

clean: clean-fuzzobj
clean-fuzzobj:
	rm -rf fuzzobj
.PHONY: clean-fuzzobj
