/**
 * A table's typed arrays cut from one ArrayBuffer. On XS a typed array with a buffer of its own
 * costs 7 slots and a chunk header, a view of a shared buffer 4 slots: ≈ 64 B of the board's heap
 * saved per array after the first (docs/architecture.md §Memory). Each view starts aligned to its
 * element size; the views are zeroed, as new typed arrays are.
 */
type TypedArrayConstructor =
  | Float64ArrayConstructor | Uint32ArrayConstructor | Int32ArrayConstructor | Uint16ArrayConstructor
  | Int16ArrayConstructor | Uint8ArrayConstructor | Int8ArrayConstructor;

type Views<T extends readonly (readonly [TypedArrayConstructor, number])[]> = { -readonly [K in keyof T]: InstanceType<T[K][0]> };

/** One typed array per [constructor, length] of `layout`, in order, all views of one buffer. */
export function typedArrays<const T extends readonly (readonly [TypedArrayConstructor, number])[]>(...layout: T): Views<T> {
  let bytes = 0;
  for (const [kind, length] of layout) bytes = aligned(bytes, kind.BYTES_PER_ELEMENT) + length * kind.BYTES_PER_ELEMENT;
  const buffer = new ArrayBuffer(bytes);
  let at = 0;
  return layout.map(([kind, length]) => {
    at = aligned(at, kind.BYTES_PER_ELEMENT);
    const view = new kind(buffer, at, length);
    at += length * kind.BYTES_PER_ELEMENT;
    return view;
  }) as Views<T>;
}

function aligned(at: number, size: number): number {
  return Math.ceil(at / size) * size;
}
