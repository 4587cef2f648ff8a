/* import_flask.h -- `adstats import-flask`: carry the Flask service's
 * counters over into adstats' all-time counters and top lists.
 *
 * A one-shot command on the synchronous hiredis API. It SCANs the Redis
 * that the Flask service wrote (flask_layout.h), resolves each name into a
 * user, an SDK version or both (--as), and adds its counts to
 * as:<dim>:t:<name> and as:<dim>:top:<metric>. What it added is recorded
 * per name and dimension in as:import:flask:<dim>:<name> (keys.h), and each
 * run adds only the difference between the Flask count and that record, in
 * one script per name and dimension that checks the record is still what
 * was read, and writes the counters and the record together. So running it
 * again adds nothing, and running it after the Flask service counted more
 * adds just that. The Flask keys are only ever read.
 *
 * It talks to one Redis directly (SCAN and a script over several keys do
 * not pass a sharding proxy such as twemproxy). Redis settings come from
 * the server's own (config.h): --redis-url, REDIS_URL, .env. */
#ifndef ADSTATS_IMPORT_FLASK_H
#define ADSTATS_IMPORT_FLASK_H

/* argv[0] is "import-flask". Returns the exit status: 0 done, 1 a Redis
 * error, 2 a usage error. */
int import_flask_main(int argc, char **argv);

#endif
