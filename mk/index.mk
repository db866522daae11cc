# The verification index (docs/performance.md): never stale across processes, under concurrent verification.
INDEX_TEST := $(BUILD)/tests/fresh_under_load

$(INDEX_TEST): tests/index/fresh_under_load.c $(TEST_PREFIX_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(C_STRICT) -D_DEFAULT_SOURCE $(TA_CFLAGS) $< -o $@ $(TA_LIBS) -lpthread

test-index-freshness: $(INDEX_TEST)
	$(TA_RUN_ENV) $(INDEX_TEST)

TEST_TARGETS += test-index-freshness
.PHONY: test-index-freshness
