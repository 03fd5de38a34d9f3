"""Manual fuzzing of the door and the reader (not collected by pytest).

Mutates numeric/reference attributes in the XML parts of a filled city workbook and runs
guard.check_file + reader.read_workbook + validate in a forked child under a 2 GiB
address-space limit.  Reports children that abort (python-calamine aborts the process on a
failed allocation), hang, or raise unexpected exceptions.

    python tests/hostile/fuzz_reader.py SEED COUNT
"""
import os, random, re, sys, zipfile, resource, multiprocessing as mp, time
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parents[2])); sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_corpus as mc
from pathlib import Path
from xjr_excel import guard, reader, validate
from xjr_excel.errors import UserError

import tempfile
WORK = Path(tempfile.mkdtemp(prefix='xjr-fuzz-'))
BASE = mc.make_city(WORK)
OUT = WORK / 'cases'; OUT.mkdir()
BIG = [b"4000000000", b"2147483647", b"1048576", b"16384", b"99999999999999999999", b"0", b"-1"]
REFS = [b"XFD1048576", b"A1048576", b"XFD1", b"ZZZZ1", b"A0"]

def mutate(rng, i):
    z = zipfile.ZipFile(BASE)
    xmls = [n for n in z.namelist() if n.endswith(('.xml', '.rels'))]
    name = rng.choice(xmls)
    data = z.read(name)
    attrs = list(re.finditer(rb'="([^"]*)"', data))
    for _ in range(rng.randint(1, 3)):
        if not attrs: break
        m = rng.choice(attrs)
        v = m.group(1)
        if re.fullmatch(rb'\d+', v): new = rng.choice(BIG)
        elif re.fullmatch(rb'[A-Z]+\d+(:[A-Z]+\d+)?', v): new = rng.choice(REFS)
        else: new = rng.choice(BIG + REFS + [b"", b"x" * 5])
        data = data[:m.start(1)] + new + data[m.end(1):]
        attrs = list(re.finditer(rb'="([^"]*)"', data))
    p = OUT / f"case{i}.xlsx"
    mc.rewrite_zip(BASE, p, {name: data})
    return p, name

def child(p):
    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
    try:
        guard.check_file(p)
    except UserError:
        os._exit(10)
    try:
        data = reader.read_workbook(p)
        validate.validate(data)
    except UserError:
        os._exit(11)
    except MemoryError:
        os._exit(12)
    except Exception as e:
        print("EXC", p, type(e).__name__, str(e)[:150]); os._exit(13)
    os._exit(0)

if __name__ == "__main__":
    rng = random.Random(int(sys.argv[1]) if len(sys.argv) > 1 else 1)
    ctx = mp.get_context("fork")
    stats = {}
    for i in range(int(sys.argv[2]) if len(sys.argv) > 2 else 100):
        p, name = mutate(rng, i)
        pr = ctx.Process(target=child, args=(p,)); t = time.time(); pr.start(); pr.join(30)
        if pr.is_alive():
            pr.kill(); pr.join(); code = "TIMEOUT"
        else:
            code = pr.exitcode
        stats[code] = stats.get(code, 0) + 1
        if code not in (0, 10, 11, 13):
            print("!!", code, p, name, "%.1fs" % (time.time() - t), flush=True)
        else:
            p.unlink()
    print(stats)
