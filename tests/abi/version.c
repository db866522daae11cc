/* Prints the library's runtime version and the header's, one per line (test-abi-symbols). */
#include <stdio.h>
#include "tokenauth.h"

int main(void)
{
    printf("%s\n%s\n", ta_version(), TA_VERSION_STRING);
    return 0;
}
