using System;
using System.IO;

namespace BnnDsl;

/// <summary>Writes a file so that readers see the old content or the whole new content, never a half-written file.</summary>
public static class AtomicFile
{
    /// <summary>
    /// Lets <paramref name="writeTemporary"/> write to a temporary path beside <paramref name="path"/>, then renames it
    /// over <paramref name="path"/> (creating the directory if needed). The temporary file is removed if writing fails.
    /// </summary>
    public static void Replace(string path, Action<string> writeTemporary)
    {
        string full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        string temporary = full + ".tmp-" + Environment.ProcessId;
        try
        {
            writeTemporary(temporary);
            File.Move(temporary, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary)) File.Delete(temporary);
        }
    }
}
