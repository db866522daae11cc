# The documents (README.md, docs/*.md, bench/RESULTS.md), checked by tests/docs/check_docs.py: every
# relative link and #anchor resolves, no document names a source file by a path it does not have,
# and every code block marked `<!-- program: c|cpp|python; expect: REGEX -->` builds with the
# project's strict flags against the private installation, runs and prints what it must.
#
#   make test-docs      (in `make test`) a few seconds once the library is built

TEST_TARGETS += test-docs
.PHONY: test-docs

test-docs: $(TEST_PREFIX_STAMP)
	@$(TA_RUN_ENV) python3 tests/docs/check_docs.py --build $(BUILD)/tests/docs \
	    --cc "$(CC)" --cflags "$(C_STRICT) $(TA_CFLAGS)" \
	    --cxx "$(CXX)" --cxxflags "-std=c++17 $(CXX_STRICT) -Ibindings/cpp $(TA_CFLAGS)" \
	    --libs "$(TA_LIBS)" --library $(TEST_PREFIX)/lib/$(SONAME)
