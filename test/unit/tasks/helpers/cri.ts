/** What `crictl images -o json` prints for these tags (one image each). */
export function criImagesJson(tags: Iterable<string>): string {
  return JSON.stringify(
    {
      images: [...tags].map((tag, i) => ({
        id: `sha256:${String(i).padStart(64, '0')}`,
        repoTags: [tag],
        repoDigests: [],
        size: '1000',
        uid: null,
        username: '',
      })),
    },
    null,
    2,
  );
}
