#ifndef WFM_BASE_COMMON_H
#define WFM_BASE_COMMON_H

/*
 * Included first by every .c file of the project. It pulls in the C
 * library headers everyone uses, then banned.h, so a banned function
 * cannot sneak in through a later include.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/error.h"

#define WFM_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#include "base/banned.h"

#endif
