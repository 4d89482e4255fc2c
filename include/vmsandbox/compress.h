/* SPDX-License-Identifier: MIT */
/*
 * Page compressors for the swap store: lz4 (the default), zstd and none,
 * each behind one small ops table in compress.c.  A codec is one compressor
 * with its reusable state (zstd's compression and decompression contexts),
 * created once when the store is created so that the put/get paths never
 * allocate inside the library.
 *
 * Pure computation: no syscalls, no globals, never prints.
 */
#ifndef VMSANDBOX_COMPRESS_H
#define VMSANDBOX_COMPRESS_H

#include <stddef.h>

enum vms_compressor {
	VMS_COMPRESS_LZ4 = 0,  /* the default: a zeroed config selects it */
	VMS_COMPRESS_ZSTD,
	VMS_COMPRESS_NONE,
};

#define VMS_COMPRESSOR_COUNT 3

/* zstd level used when the configuration says 0 ("default"). */
#define VMS_ZSTD_DEFAULT_LEVEL 1

/* "lz4", "zstd" or "none" (exact, lower case); -EINVAL for anything else. */
int vms_compressor_parse(const char *name, enum vms_compressor *ret);

/* The name vms_compressor_parse() accepts; "unknown" for a bad value. */
const char *vms_compressor_name(enum vms_compressor c);

struct vms_codec;

/*
 * A codec for compressor c.  `level` matters only for zstd: 0 selects
 * VMS_ZSTD_DEFAULT_LEVEL, anything outside ZSTD_minCLevel()..ZSTD_maxCLevel()
 * is -EINVAL.  -ENOMEM if zstd cannot allocate its contexts.
 */
int vms_codec_new(enum vms_compressor c, int level, struct vms_codec **ret);
void vms_codec_free(struct vms_codec *codec);

enum vms_compressor vms_codec_compressor(const struct vms_codec *codec);

/*
 * Compress src_len bytes into at most dst_cap bytes of dst.
 * 0 and *ret_len = the compressed size (1..dst_cap) on success;
 * -ENOSPC if the result would not fit in dst_cap (always so for "none"),
 * which is how the caller learns a page is not worth compressing: pass the
 * largest size worth keeping as dst_cap and lz4/zstd give up early;
 * -EINVAL for arguments the compressor cannot take.
 * dst is scribbled on even on failure; *ret_len is untouched.
 */
int vms_codec_compress(struct vms_codec *codec, const void *src, size_t src_len,
		       void *dst, size_t dst_cap, size_t *ret_len);

/*
 * Decompress src_len bytes of src, which must decode to exactly dst_len
 * bytes.  0 on success; -EIO if the data is corrupt or decodes to any other
 * length (dst then holds no meaningful data); -EINVAL for "none".
 */
int vms_codec_decompress(struct vms_codec *codec, const void *src, size_t src_len,
			 void *dst, size_t dst_len);

#endif
