/* SPDX-License-Identifier: MIT */
/*
 * Compressors behind one ops table, indexed by enum vms_compressor.
 *
 * lz4 needs no state of ours (LZ4_compress_default keeps its 16 KiB hash
 * table on the stack).  zstd keeps one ZSTD_CCtx and one ZSTD_DCtx per
 * codec, created in vms_codec_new(), so that compressing a page allocates
 * nothing: ZSTD_compress() would create and destroy a context every call.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <lz4.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "vmsandbox/compress.h"

struct vms_codec {
	enum vms_compressor compressor;
	int level;              /* zstd only */
	ZSTD_CCtx *zstd_cctx;   /* zstd only */
	ZSTD_DCtx *zstd_dctx;   /* zstd only */
};

struct codec_ops {
	const char *name;
	int (*init)(struct vms_codec *codec);
	void (*fini)(struct vms_codec *codec);
	int (*compress)(struct vms_codec *codec, const void *src, size_t src_len,
			void *dst, size_t dst_cap, size_t *ret_len);
	int (*decompress)(struct vms_codec *codec, const void *src, size_t src_len,
			  void *dst, size_t dst_len);
};

/* lz4 takes int sizes; every caller's sizes are page-sized, but check. */
static int lz4_compress(struct vms_codec *codec, const void *src, size_t src_len,
			void *dst, size_t dst_cap, size_t *ret_len)
{
	int n;

	if (src_len > LZ4_MAX_INPUT_SIZE || dst_cap > INT_MAX)
		return -EINVAL;
	n = LZ4_compress_default(src, dst, (int)src_len, (int)dst_cap);
	if (n <= 0)
		return -ENOSPC; /* lz4's only failure for valid sizes: dst too small */
	*ret_len = (size_t)n;
	return 0;
}

static int lz4_decompress(struct vms_codec *codec, const void *src, size_t src_len,
			  void *dst, size_t dst_len)
{
	int n;

	if (src_len > INT_MAX || dst_len > INT_MAX)
		return -EIO;
	n = LZ4_decompress_safe(src, dst, (int)src_len, (int)dst_len);
	if (n < 0 || (size_t)n != dst_len)
		return -EIO;
	return 0;
}

static int zstd_init(struct vms_codec *codec)
{
	if (codec->level == 0)
		codec->level = VMS_ZSTD_DEFAULT_LEVEL;
	if (codec->level < ZSTD_minCLevel() || codec->level > ZSTD_maxCLevel())
		return -EINVAL;
	codec->zstd_cctx = ZSTD_createCCtx();
	codec->zstd_dctx = ZSTD_createDCtx();
	if (!codec->zstd_cctx || !codec->zstd_dctx)
		return -ENOMEM;
	return 0;
}

static void zstd_fini(struct vms_codec *codec)
{
	ZSTD_freeCCtx(codec->zstd_cctx);
	ZSTD_freeDCtx(codec->zstd_dctx);
}

static int zstd_compress(struct vms_codec *codec, const void *src, size_t src_len,
			 void *dst, size_t dst_cap, size_t *ret_len)
{
	size_t n;

	n = ZSTD_compressCCtx(codec->zstd_cctx, dst, dst_cap, src, src_len, codec->level);
	if (ZSTD_isError(n))
		return ZSTD_getErrorCode(n) == ZSTD_error_dstSize_tooSmall ? -ENOSPC : -EINVAL;
	*ret_len = n;
	return 0;
}

static int zstd_decompress(struct vms_codec *codec, const void *src, size_t src_len,
			   void *dst, size_t dst_len)
{
	size_t n;

	n = ZSTD_decompressDCtx(codec->zstd_dctx, dst, dst_len, src, src_len);
	if (ZSTD_isError(n) || n != dst_len)
		return -EIO;
	return 0;
}

/* "none" never produces compressed data: every page it sees is kept raw. */
static int none_compress(struct vms_codec *codec, const void *src, size_t src_len,
			 void *dst, size_t dst_cap, size_t *ret_len)
{
	return -ENOSPC;
}

static int none_decompress(struct vms_codec *codec, const void *src, size_t src_len,
			   void *dst, size_t dst_len)
{
	return -EINVAL;
}

static const struct codec_ops codec_ops[VMS_COMPRESSOR_COUNT] = {
	[VMS_COMPRESS_LZ4] = {
		.name = "lz4",
		.init = NULL,
		.fini = NULL,
		.compress = lz4_compress,
		.decompress = lz4_decompress,
	},
	[VMS_COMPRESS_ZSTD] = {
		.name = "zstd",
		.init = zstd_init,
		.fini = zstd_fini,
		.compress = zstd_compress,
		.decompress = zstd_decompress,
	},
	[VMS_COMPRESS_NONE] = {
		.name = "none",
		.init = NULL,
		.fini = NULL,
		.compress = none_compress,
		.decompress = none_decompress,
	},
};

static bool compressor_valid(enum vms_compressor c)
{
	return (unsigned)c < VMS_COMPRESSOR_COUNT;
}

int vms_compressor_parse(const char *name, enum vms_compressor *ret)
{
	if (!name)
		return -EINVAL;
	for (unsigned i = 0; i < VMS_COMPRESSOR_COUNT; i++) {
		if (strcmp(name, codec_ops[i].name) == 0) {
			*ret = (enum vms_compressor)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *vms_compressor_name(enum vms_compressor c)
{
	return compressor_valid(c) ? codec_ops[c].name : "unknown";
}

int vms_codec_new(enum vms_compressor c, int level, struct vms_codec **ret)
{
	struct vms_codec *codec;

	if (!compressor_valid(c))
		return -EINVAL;
	codec = calloc(1, sizeof(*codec));
	if (!codec)
		return -ENOMEM;
	codec->compressor = c;
	codec->level = level;
	if (codec_ops[c].init) {
		int r = codec_ops[c].init(codec);

		if (r < 0) {
			vms_codec_free(codec);
			return r;
		}
	}
	*ret = codec;
	return 0;
}

void vms_codec_free(struct vms_codec *codec)
{
	if (!codec)
		return;
	if (codec_ops[codec->compressor].fini)
		codec_ops[codec->compressor].fini(codec);
	free(codec);
}

enum vms_compressor vms_codec_compressor(const struct vms_codec *codec)
{
	return codec->compressor;
}

int vms_codec_compress(struct vms_codec *codec, const void *src, size_t src_len,
		       void *dst, size_t dst_cap, size_t *ret_len)
{
	return codec_ops[codec->compressor].compress(codec, src, src_len, dst, dst_cap, ret_len);
}

int vms_codec_decompress(struct vms_codec *codec, const void *src, size_t src_len,
			 void *dst, size_t dst_len)
{
	return codec_ops[codec->compressor].decompress(codec, src, src_len, dst, dst_len);
}
