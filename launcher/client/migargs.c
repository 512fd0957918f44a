/* migrate's further options as the request's arguments (migargs.h). */
#include <stdint.h>
#include <stdio.h>

#include <json-c/json.h>

#include "cli.h"
#include "migargs.h"
#include "parse.h"

void
migargs_add(struct json_object *a, const struct migargs *g)
{
	static const struct {
		const char	*key, *flag;
		size_t		 off;
		long long	 min, max;
	} nums[] = {
		{ "postcopy_after", "--postcopy-after",
		    offsetof(struct migargs, postcopy_after), 1, 1000000 },
		{ "stall_timeout", "--stall-timeout",
		    offsetof(struct migargs, stall_timeout), 0, 86400 },
		{ "postcopy_bandwidth", "--postcopy-bandwidth",
		    offsetof(struct migargs, postcopy_bandwidth), 1, 1 << 20 },
	};
	static const struct {
		const char	*key;
		size_t		 off;
	} strs[] = {
		{ "timeout_action", offsetof(struct migargs, timeout_action) },
		{ "multifd_compression", offsetof(struct migargs,
		    compression) },
	};
	const char *v, *why;
	uint64_t size;

	if (g->postcopy)
		json_object_object_add(a, "postcopy", json_object_new_boolean(
		    1));
	for (size_t i = 0; i < nitems(nums); i++)
		if ((v = *(const char *const *)((const char *)g +
		    nums[i].off)) != NULL)
			json_object_object_add(a, nums[i].key,
			    json_object_new_int64(cli_num(nums[i].flag, v,
			    nums[i].min, nums[i].max)));
	for (size_t i = 0; i < nitems(strs); i++)
		if ((v = *(const char *const *)((const char *)g +
		    strs[i].off)) != NULL)
			json_object_object_add(a, strs[i].key,
			    json_object_new_string(v));
	if (g->xbzrle_cache != NULL) {
		if (parse_size(g->xbzrle_cache, &size, &why) == -1)
			cli_die("migrate: --xbzrle '%s': %s", g->xbzrle_cache,
			    why);
		json_object_object_add(a, "xbzrle_cache",
		    json_object_new_int64((int64_t)size));
	}
}
