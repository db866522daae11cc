# C++ binding (bindings/cpp/tokenauth.hpp): its test program, built with -std=c++17 -Wall -Wextra
# -Werror against the library installed in $(TEST_PREFIX) through pkg-config, as a user would.
#
#   make test-cpp        prints "N passed, N failed"

CPP_TEST := $(BUILD)/bindings/cpp/test

TEST_TARGETS += test-cpp
.PHONY: deps-cpp test-cpp

deps-cpp:
	@dpkg -s g++ >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq g++; }

$(CPP_TEST): bindings/cpp/test.cpp bindings/cpp/tokenauth.hpp $(TEST_PREFIX_STAMP) | deps-cpp
	@mkdir -p $(@D)
	$(CXX) -std=c++17 -Wall -Wextra -Werror -pedantic -Ibindings/cpp $(TA_CFLAGS) $< -o $@ $(TA_LIBS)

test-cpp: $(CPP_TEST)
	$(TA_RUN_ENV) $(CPP_TEST)
