/* version.h -- the one place the version is written. */
#ifndef ADSTATS_VERSION_H
#define ADSTATS_VERSION_H

#define ADSTATS_VERSION "0.1.0"

#endif
