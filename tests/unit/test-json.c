#include <stdlib.h>

#include "base/json.h"
#include "tap.h"

/* Run fn on a writer over a memory stream; returns what it wrote. */
static char *written(void (*fn)(struct json_writer *), bool pretty, int *ret)
{
	struct json_writer w;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	json_init(&w, f, pretty);
	fn(&w);
	*ret = json_finish(&w);
	fclose(f);
	return buf;
}

static void doc(struct json_writer *w)
{
	json_begin_object(w);
	json_key_string(w, "s", "a\"b\\c\n\t\x01");
	json_key_int(w, "i", -5);
	json_key_uint(w, "u", 18446744073709551615ULL);
	json_key_bool(w, "t", true);
	json_key(w, "n");
	json_null(w);
	json_key(w, "a");
	json_begin_array(w);
	json_int(w, 1);
	json_begin_object(w);
	json_end_object(w);
	json_begin_array(w);
	json_end_array(w);
	json_end_array(w);
	json_key_string(w, "null string", NULL);
	json_end_object(w);
}

static void utf8(struct json_writer *w)
{
	json_begin_array(w);
	json_string(w, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");	/* valid */
	json_string(w, "bad \xff \xc3 \xed\xa0\x80 \xc0\xaf end");	/* invalid */
	json_string_len(w, "nul\0inside", 10);
	json_end_array(w);
}

static void unbalanced(struct json_writer *w)
{
	json_begin_object(w);
	json_key_int(w, "x", 1);
}

static void too_many_ends(struct json_writer *w)
{
	json_begin_array(w);
	json_end_array(w);
	json_end_array(w);
}

int main(void)
{
	int ret;
	char *s;

	s = written(doc, false, &ret);
	is_str(s, "{\"s\":\"a\\\"b\\\\c\\n\\t\\u0001\",\"i\":-5,"
	       "\"u\":18446744073709551615,\"t\":true,\"n\":null,"
	       "\"a\":[1,{},[]],\"null string\":null}\n",
	       "compact output: commas, escapes, nesting, empty containers");
	ok(ret == 0, "a balanced document finishes cleanly");
	free(s);

	s = written(doc, true, &ret);
	ok(s && strstr(s, "{\n  \"s\": ") && strstr(s, "\n  \"a\": [\n    1,\n"
	   "    {},\n    []\n  ],\n"), "pretty output indents by two spaces");
	free(s);

	s = written(utf8, false, &ret);
	is_str(s, "[\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\","
	       "\"bad \\ufffd \\ufffd \\ufffd\\ufffd\\ufffd \\ufffd\\ufffd end\","
	       "\"nul\\u0000inside\"]\n",
	       "valid UTF-8 passes, invalid bytes become U+FFFD, NUL is escaped");
	free(s);

	s = written(unbalanced, false, &ret);
	ok(ret < 0, "an unclosed object is reported by json_finish");
	free(s);
	s = written(too_many_ends, false, &ret);
	ok(ret < 0, "an end without a begin is reported by json_finish");
	free(s);
	return tap_done();
}
