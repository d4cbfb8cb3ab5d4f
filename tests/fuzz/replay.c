/* Corpus replay: runs a libFuzzer target over every file of its corpus
 * directory so the corpus is a regression suite in the normal test command.
 * Prints TAP, one case per file, so the runner counts each input.
 * A crash or sanitizer report aborts the binary: the runner counts it as a
 * failure. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
		return 2;
	}
	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);

	DIR *dir = opendir(argv[1]);
	if (!dir) {
		perror(argv[1]);
		return 2;
	}
	char **names = NULL;
	size_t count = 0;
	struct dirent *entry;
	while ((entry = readdir(dir))) {
		if (entry->d_name[0] == '.')
			continue;
		names = realloc(names, (count + 1) * sizeof(*names));
		names[count++] = strdup(entry->d_name);
	}
	closedir(dir);
	qsort(names, count, sizeof(*names), compare_names);

	printf("1..%zu\n", count);
	for (size_t i = 0; i < count; i++) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", argv[1], names[i]);
		FILE *file = fopen(path, "rb");
		if (!file) {
			printf("not ok %zu - %s (cannot open)\n", i + 1, names[i]);
			continue;
		}
		struct stat st;
		fstat(fileno(file), &st);
		uint8_t *data = malloc(st.st_size ? st.st_size : 1);
		size_t got = fread(data, 1, st.st_size, file);
		fclose(file);
		LLVMFuzzerTestOneInput(data, got);
		free(data);
		printf("ok %zu - %s\n", i + 1, names[i]);
		fflush(stdout);
		free(names[i]);
	}
	free(names);
	return 0;
}
