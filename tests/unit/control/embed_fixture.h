/* What the control unit tests that embed share (test_provision.c,
 * test_rspec.c): a substrate the test builds, with a residual and the
 * Loom embedder over it, and files read from the source tree. Written by
 * each test's setup, read by its cases. Include after cmocka.h and
 * control.h. */
#ifndef LOOM_TESTS_EMBED_FIXTURE_H
#define LOOM_TESTS_EMBED_FIXTURE_H

struct fixture {
	struct substrate *substrate;
	struct embed_residual *residual;
	struct embedder *embedder;
};

/* A fixture with an empty substrate named `name`: the setup adds nodes
 * and links, then calls fixture_finish. */
static struct fixture *fixture_begin(const char *name)
{
	struct fixture *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	f->substrate = substrate_create(name);
	assert_non_null(f->substrate);
	return f;
}

/* Finalizes the substrate and makes the residual and the embedder. */
static int fixture_finish(struct fixture *f, void **state)
{
	assert_int_equal(substrate_finalize(f->substrate), 0);
	f->residual = embed_residual_create(f->substrate);
	f->embedder = embedder_create(f->substrate, EMBED_ALGORITHM_LOOM, NULL);
	assert_non_null(f->residual);
	assert_non_null(f->embedder);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	embedder_free(f->embedder);
	embed_residual_free(f->residual);
	substrate_free(f->substrate);
	free(f);
	return 0;
}

/* A file of the source tree (LOOM_SOURCE_DIR, else the working
 * directory), up to 1 MiB, NUL-terminated; the caller frees it. */
static char *read_text(const char *relative, size_t *length)
{
	const char *source = getenv("LOOM_SOURCE_DIR");
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s", source ? source : ".", relative);
	FILE *file = fopen(path, "rb");
	if (!file)
		fail_msg("cannot read %s", path);
	char *data = malloc(1 << 20);
	assert_non_null(data);
	*length = fread(data, 1, (1 << 20) - 1, file);
	data[*length] = '\0';
	fclose(file);
	return data;
}

#endif
