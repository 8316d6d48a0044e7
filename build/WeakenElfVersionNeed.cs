// MSBuild inline task: marks one symbol-version requirement of an ELF64 shared library weak, so the
// dynamic loader no longer refuses the library when the host lacks that version. Used only on copies in
// build output, only when the host's libstdc++ lacks the version (see LibTorchNative.targets).
using System;
using System.IO;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

public sealed class WeakenElfVersionNeed : Task
{
    [Required] public ITaskItem[] Files { get; set; } = Array.Empty<ITaskItem>();
    [Required] public string Version { get; set; } = "";

    const uint ShtGnuVerneed = 0x6ffffffe;
    const ushort VerFlgWeak = 0x2;

    static readonly string[] LibStdCxxCandidates =
    {
        "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib/aarch64-linux-gnu/libstdc++.so.6",
        "/usr/lib64/libstdc++.so.6", "/lib64/libstdc++.so.6", "/usr/lib/libstdc++.so.6",
    };

    public override bool Execute()
    {
        if (Files.Length == 0) return true;
        if (HostHasVersion())
        {
            Log.LogMessage(MessageImportance.Low, "Host libstdc++ provides " + Version + "; libtorch left as is.");
            return true;
        }
        foreach (var item in Files)
        {
            string path = item.ItemSpec;
            try
            {
                byte[] elf = File.ReadAllBytes(path);
                switch (Weaken(elf, Version))
                {
                    case Outcome.Patched:
                        // Write a new file and rename it over the old one: the output copy may be a hard link.
                        string temp = path + ".patching";
                        File.WriteAllBytes(temp, elf);
                        File.Copy(temp, path, overwrite: true);
                        File.Delete(temp);
                        Log.LogMessage(MessageImportance.High, "Marked " + Version + " weak in " + path + " (host libstdc++ lacks it).");
                        break;
                    case Outcome.AlreadyWeak:
                    case Outcome.NotRequired:
                        break;
                }
            }
            catch (Exception e) when (e is IOException || e is InvalidDataException || e is UnauthorizedAccessException)
            {
                Log.LogError("Could not patch " + path + ": " + e.Message);
            }
        }
        return !Log.HasLoggedErrors;
    }

    bool HostHasVersion()
    {
        byte[] needle = Encoding.ASCII.GetBytes(Version + "\0");
        foreach (string candidate in LibStdCxxCandidates)
        {
            if (!File.Exists(candidate)) continue;
            byte[] lib = File.ReadAllBytes(candidate);
            return IndexOf(lib, needle) >= 0;
        }
        return false; // No libstdc++ found where expected: patching a copy is harmless.
    }

    enum Outcome { Patched, AlreadyWeak, NotRequired }

    static Outcome Weaken(byte[] elf, string version)
    {
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
            throw new InvalidDataException("not an ELF file");
        if (elf[4] != 2 || elf[5] != 1) throw new InvalidDataException("not a little-endian ELF64 file");
        long shoff = (long)BitConverter.ToUInt64(elf, 0x28);
        int shentsize = BitConverter.ToUInt16(elf, 0x3A);
        int shnum = BitConverter.ToUInt16(elf, 0x3C);
        for (int s = 0; s < shnum; s++)
        {
            long header = shoff + (long)s * shentsize;
            if (BitConverter.ToUInt32(elf, (int)header + 4) != ShtGnuVerneed) continue;
            long offset = (long)BitConverter.ToUInt64(elf, (int)header + 0x18);
            int link = (int)BitConverter.ToUInt32(elf, (int)header + 0x28);
            int count = (int)BitConverter.ToUInt32(elf, (int)header + 0x2C);
            long strtab = (long)BitConverter.ToUInt64(elf, (int)(shoff + (long)link * shentsize) + 0x18);

            long need = offset;
            for (int n = 0; n < count; n++)
            {
                int auxCount = BitConverter.ToUInt16(elf, (int)need + 2);
                long aux = need + BitConverter.ToUInt32(elf, (int)need + 8);
                for (int a = 0; a < auxCount; a++)
                {
                    long name = strtab + BitConverter.ToUInt32(elf, (int)aux + 8);
                    if (CStringAt(elf, name) == version)
                    {
                        ushort flags = BitConverter.ToUInt16(elf, (int)aux + 4);
                        if ((flags & VerFlgWeak) != 0) return Outcome.AlreadyWeak;
                        flags |= VerFlgWeak;
                        elf[aux + 4] = (byte)(flags & 0xff);
                        elf[aux + 5] = (byte)(flags >> 8);
                        return Outcome.Patched;
                    }
                    aux += BitConverter.ToUInt32(elf, (int)aux + 12);
                }
                need += BitConverter.ToUInt32(elf, (int)need + 12);
            }
        }
        return Outcome.NotRequired;
    }

    static string CStringAt(byte[] data, long start)
    {
        long end = start;
        while (end < data.Length && data[end] != 0) end++;
        return Encoding.ASCII.GetString(data, (int)start, (int)(end - start));
    }

    static int IndexOf(byte[] haystack, byte[] needle)
    {
        for (int i = 0; i + needle.Length <= haystack.Length; i++)
        {
            int j = 0;
            while (j < needle.Length && haystack[i + j] == needle[j]) j++;
            if (j == needle.Length) return i;
        }
        return -1;
    }
}
