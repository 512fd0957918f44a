/*
 * top's table (client/topview.c): rows from a STATS event's data (a VM
 * shut off, one without rates yet), every sort key of virt-top's and its
 * name, the table and the CSV exactly.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "testutil.h"
#include "topview.h"

#define DATA "{\"interval_ms\": 1000, \"vms\": [" \
	"{\"name\": \"b\", \"id\": 2, \"state\": \"running\", " \
	" \"balloon\": {\"current_mib\": 512}, \"rates\": {\"cpu_pct\": 5.5, " \
	" \"rd_bps\": 10, \"wr_bps\": 0, \"rx_bps\": 900, \"tx_bps\": 100}}," \
	"{\"name\": \"a\", \"id\": 1, \"state\": \"running\", " \
	" \"balloon\": {\"current_mib\": 256}, \"rates\": {\"cpu_pct\": 99.1, " \
	" \"rd_bps\": 0, \"wr_bps\": 4000, \"rx_bps\": 0, \"tx_bps\": 0}}," \
	"{\"name\": \"c\", \"id\": null, \"state\": \"shut off\"}," \
	"{\"name\": \"d\", \"id\": 3, \"state\": \"running\", " \
	" \"balloon\": {\"current_mib\": 1024}}]}"

static char *
order(struct toprow *rows, size_t n, int key)
{
	static char buf[16];

	topview_sort(rows, n, topview_sort_key(key));
	for (size_t i = 0; i < n; i++)
		buf[i] = rows[i].name[0];
	buf[n] = '\0';
	return buf;
}

static void
test_rows_and_sorts(void **state)
{
	struct json_object *d = json_tokener_parse(DATA);
	struct toprow *rows;
	size_t n = topview_rows(d, &rows);

	(void)state;
	assert_int_equal(n, 4);
	assert_int_equal(rows[2].id, 0);
	assert_int_equal(rows[2].mem_mib, -1);
	assert_false(rows[3].has_rates);
	assert_true(rows[1].has_rates);
	assert_string_equal(order(rows, n, 'P'), "abcd");	/* ties: name */
	assert_string_equal(order(rows, n, 'M'), "dbac");
	assert_string_equal(order(rows, n, 'N'), "abcd");
	assert_string_equal(order(rows, n, 'B'), "abcd");
	assert_string_equal(order(rows, n, 'T'), "bacd");
	assert_null(topview_sort_key('x'));
	assert_ptr_equal(topview_sort_name("net"), topview_sort_key('T'));
	assert_null(topview_sort_name("disk"));
	free(rows);
	json_object_put(d);
}

static void
test_print_and_csv(void **state)
{
	struct json_object *d = json_tokener_parse(DATA);
	struct toprow *rows;
	size_t n = topview_rows(d, &rows), len;
	char *buf;
	FILE *f;

	(void)state;
	topview_sort(rows, n, topview_sort_key('P'));
	assert_non_null(f = open_memstream(&buf, &len));
	topview_print(f, rows, n, "12:00:00", topview_sort_key('P'));
	fclose(f);
	assert_non_null(strstr(buf, "qlaunch top 12:00:00 - 4 domains, 3 "
	    "running, sorted by cpu\n"));
	assert_non_null(strstr(buf, "\n   1 running      99.1      256"
	    "            0         4000            0            0  a\n"));
	assert_non_null(strstr(buf, "\n   - shut off        -        -"));
	free(buf);
	assert_non_null(f = open_memstream(&buf, &len));
	topview_csv_header(f);
	topview_csv(f, rows, n, "12:00:00");
	fclose(f);
	assert_string_equal(buf,
	    "time,id,name,state,cpu_pct,mem_mib,rd_bps,wr_bps,rx_bps,tx_bps\n"
	    "12:00:00,1,a,running,99.1,256,0,4000,0,0\n"
	    "12:00:00,2,b,running,5.5,512,10,0,900,100\n"
	    "12:00:00,,c,shut off,,,,,,\n"
	    "12:00:00,3,d,running,0.0,1024,0,0,0,0\n");
	free(buf);
	free(rows);
	json_object_put(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows_and_sorts),
		cmocka_unit_test(test_print_and_csv),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
