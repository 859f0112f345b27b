/* heap.c: a small first-fit allocator over the heap region the PEB names.
 * Free blocks are kept in address order and merged with their neighbours. */
#include "hl/hl.h"

struct block { size_t size; struct block *next; }; /* size includes the header */
#define HDR 16u

static uint8_t *heap_top, *heap_end;
static struct block *free_list;

void hl_heap_init(uint64_t addr, uint64_t size) {
  heap_top = (uint8_t *)(uintptr_t)addr;
  heap_end = heap_top + size;
  free_list = 0;
}

void *hl_malloc(size_t n) {
  if (n == 0) n = 1;
  if (n > (size_t)(heap_end - heap_top) + (1u << 30)) return 0; /* absurd sizes */
  size_t need = (n + HDR + 15u) & ~(size_t)15u;
  struct block **pp = &free_list;
  for (struct block *b = free_list; b; pp = &b->next, b = b->next) {
    if (b->size < need) continue;
    if (b->size - need >= 64) { /* split */
      struct block *rest = (struct block *)((uint8_t *)b + need);
      rest->size = b->size - need;
      rest->next = b->next;
      *pp = rest;
      b->size = need;
    } else {
      *pp = b->next;
    }
    return (uint8_t *)b + HDR;
  }
  if (need > (size_t)(heap_end - heap_top)) return 0;
  struct block *b = (struct block *)heap_top;
  b->size = need;
  heap_top += need;
  return (uint8_t *)b + HDR;
}

void *hl_calloc(size_t n, size_t size) {
  if (size && n > (size_t)-1 / size) return 0;
  void *p = hl_malloc(n * size);
  if (p) memset(p, 0, n * size);
  return p;
}

void hl_free(void *p) {
  if (!p) return;
  struct block *b = (struct block *)((uint8_t *)p - HDR);
  struct block **pp = &free_list;
  while (*pp && *pp < b) pp = &(*pp)->next;
  b->next = *pp;
  *pp = b;
  if (b->next && (uint8_t *)b + b->size == (uint8_t *)b->next) { /* merge right */
    b->size += b->next->size;
    b->next = b->next->next;
  }
  if (pp != &free_list) { /* merge left */
    struct block *prev = (struct block *)((uint8_t *)pp - offsetof(struct block, next));
    if ((uint8_t *)prev + prev->size == (uint8_t *)b) {
      prev->size += b->size;
      prev->next = b->next;
    }
  }
}
