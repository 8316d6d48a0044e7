using System;
using System.Collections;
using System.Collections.Generic;
using System.Collections.Immutable;

namespace BnnDsl.Generator.Model;

/// <summary>
/// An immutable array compared by its elements, so that models holding lists stay equal across generator runs
/// (ImmutableArray and arrays compare by reference and would defeat the incremental cache).
/// </summary>
public readonly struct EquatableArray<T> : IEquatable<EquatableArray<T>>, IReadOnlyList<T> where T : IEquatable<T>
{
    readonly T[]? items;

    public EquatableArray(IEnumerable<T> items) => this.items = items is T[] array ? (T[])array.Clone() : new List<T>(items).ToArray();

    public static EquatableArray<T> Empty => new(Array.Empty<T>());

    public int Count => items?.Length ?? 0;
    public T this[int index] => (items ?? Array.Empty<T>())[index];

    public bool Equals(EquatableArray<T> other)
    {
        if (Count != other.Count) return false;
        for (int i = 0; i < Count; i++)
            if (!EqualityComparer<T>.Default.Equals(this[i], other[i])) return false;
        return true;
    }

    public override bool Equals(object? obj) => obj is EquatableArray<T> other && Equals(other);

    public override int GetHashCode()
    {
        int hash = 17;
        foreach (var item in this) hash = unchecked(hash * 31 + (item?.GetHashCode() ?? 0));
        return hash;
    }

    public IEnumerator<T> GetEnumerator() => ((IEnumerable<T>)(items ?? Array.Empty<T>())).GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public bool Contains(T item) => Array.IndexOf(items ?? Array.Empty<T>(), item) >= 0;

    public ImmutableArray<T> ToImmutableArray() => ImmutableArray.Create(items ?? Array.Empty<T>());

    public static bool operator ==(EquatableArray<T> left, EquatableArray<T> right) => left.Equals(right);
    public static bool operator !=(EquatableArray<T> left, EquatableArray<T> right) => !left.Equals(right);
}
