#!/usr/bin/env python3
"""A newcomer's walk through acta in Chromium, independent of the test suite.

Starts `acta serve` on a fresh data directory, follows the first-run link it
prints, and does through the pages only — typing in the forms, pressing the
buttons — what people do: the administrator creates the accounts; a
gestionnaire makes, previews, seals and downloads acts of several kinds; an
archivist finds one; a lecteur of another collectivité gets « Page
introuvable »; anyone verifies a PDF (and a tampered copy); a campaign runs
end to end. Every page gets axe-core (no serious or critical violation) and
must fit a 360-pixel screen; screenshots go to OUT.

    python3 scripts/walk.py [--acta target/release/acta] [--out /tmp/acta-walk]

Needs what the browser tests need (scripts/test.sh installs them): chromium,
chromedriver, axe-core in .tools/node_modules. Python 3 standard library only.
Exit code 1 and the list of problems if anything is wrong.
"""
import argparse, base64, hashlib, json, os, shutil, socket, subprocess, sys, tempfile, time
import urllib.error, urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EL = "element-6066-11e4-a52e-4f735466cecf"
PROBLEMS = []


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Browser:
    """Chromium through chromedriver's WebDriver protocol."""

    def __init__(self, out):
        self.out, self.port = out, free_port()
        env = dict(os.environ, LANGUAGE="fr_FR:fr", LANG="fr_FR.UTF-8")
        self.driver = subprocess.Popen(["chromedriver", f"--port={self.port}"], env=env,
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.url = f"http://127.0.0.1:{self.port}"
        for _ in range(400):
            try:
                urllib.request.urlopen(self.url + "/status")
                break
            except OSError:
                time.sleep(0.05)
        self.profile = tempfile.mkdtemp(prefix="acta-walk-profile-")
        opts = {"binary": "/usr/bin/chromium", "prefs": {"intl.accept_languages": "fr-FR,fr"},
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,900",
                         "--hide-scrollbars", "--lang=fr-FR", f"--user-data-dir={self.profile}"]}
        caps = {"capabilities": {"alwaysMatch": {"goog:chromeOptions": opts}}}
        self.sid = self.call("POST", "/session", caps)["sessionId"]
        self.axe = open(os.path.join(ROOT, ".tools/node_modules/axe-core/axe.min.js")).read()

    def call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=120) as r:
                return json.loads(r.read())["value"]
        except urllib.error.HTTPError as e:
            raise RuntimeError(e.read().decode()[:300]) from None

    def s(self, method, path, body=None):
        return self.call(method, f"/session/{self.sid}{path}", body)

    def go(self, url):
        self.s("POST", "/url", {"url": url})

    def js(self, script, *args):
        return self.s("POST", "/execute/sync", {"script": script, "args": list(args)})

    def find(self, css):
        return self.s("POST", "/element", {"using": "css selector", "value": css})[EL]

    def exists(self, css):
        return bool(self.s("POST", "/elements", {"using": "css selector", "value": css}))

    def text(self, css="main"):
        return self.s("GET", f"/element/{self.find(css)}/text")

    def type(self, css, value):
        e = self.find(css)
        self.s("POST", f"/element/{e}/clear", {})
        self.s("POST", f"/element/{e}/value", {"text": str(value)})

    def path(self):
        return "/" + self.s("GET", "/url").split("/", 3)[3]

    def title(self):
        return self.s("GET", "/title")

    def press(self, css):
        """Click what `css` finds and wait for the next page."""
        self.js("window.walkOld = true;")
        self.s("POST", f"/element/{self.find(css)}/click", {})
        for _ in range(2000):
            try:
                if self.js("return window.walkOld === undefined && document.readyState === 'complete'"):
                    return
            except RuntimeError:
                pass
            time.sleep(0.02)
        raise RuntimeError(f"no page after pressing {css}")

    def check(self, name, title_has):
        """axe-core, the title, 360 pixels, a screenshot."""
        title = self.title()
        if title_has not in title:
            PROBLEMS.append(f"{name}: title {title!r} lacks {title_has!r}")
        self.js(self.axe)
        found = self.s("POST", "/execute/async", {"args": [], "script": """
            const done = arguments[arguments.length - 1];
            axe.run(document, {resultTypes: ['violations']}).then(r => done(r.violations
              .filter(v => v.impact === 'serious' || v.impact === 'critical')
              .map(v => v.id + ' @ ' + v.nodes.map(n => n.target.join(' ')).join(', '))));"""})
        PROBLEMS.extend(f"{name}: axe-core {v}" for v in found)
        self.s("POST", "/window/rect", {"width": 360, "height": 800})
        wide = self.js("return [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        if wide[0] > wide[1]:
            PROBLEMS.append(f"{name}: {wide[0]} px wide on a {wide[1]}-pixel screen")
        self.s("POST", "/window/rect", {"width": 1280, "height": 900})
        with open(os.path.join(self.out, f"{name}.png"), "wb") as f:
            f.write(base64.b64decode(self.s("GET", "/screenshot")))
        print(f"  {name}: « {title} »{' — ' + str(len(found)) + ' axe' if found else ''}")

    def cookie(self):
        return "; ".join(f"{c['name']}={c['value']}" for c in self.s("GET", "/cookie"))

    def close(self):
        try:
            self.s("DELETE", "")
        finally:
            self.driver.kill()
            self.driver.wait()
            shutil.rmtree(self.profile, ignore_errors=True)


def expect(ok, what):
    if not ok:
        PROBLEMS.append(what)


def login(b, base, user, password):
    b.go(base + "/connexion")
    if b.exists(".site-header form button"):
        b.press(".site-header form button")
        b.go(base + "/connexion")
    b.type("#identifiant", user)
    b.type("#mot_de_passe", password)
    b.press("main form button[type=submit]")


def fill(b, data):
    """The act form filled from a fixture's data, rows added with « Ajouter une ligne »."""
    def walk(v, p=""):
        if isinstance(v, dict):
            for k, x in v.items():
                yield from walk(x, f"{p}/{k}")
        elif isinstance(v, list):
            yield ("#", p, len(v))
            for i, x in enumerate(v):
                yield from walk(x, f"{p}/{i}")
        else:
            yield ("=", p, v)
    for op, p, v in walk(data):
        if op == "#":
            while b.js("const e = document.querySelector('input[name=\"#' + arguments[0] + '\"]'); return e ? +e.value : 1e9", p) < v:
                b.press(f'button[value="ajouter:{p}"]')
            continue
        kind = b.js("const e = document.getElementsByName(arguments[0]); return e.length ? e[0].type : null", p)
        if kind == "radio":
            b.js("[...document.getElementsByName(arguments[0])].find(e => e.value == arguments[1]).click()", p, str(v))
        elif kind == "checkbox":
            if v:
                b.js("document.getElementsByName(arguments[0])[0].click()", p)
        elif kind in ("select-one", "date"):
            b.js("document.getElementsByName(arguments[0])[0].value = arguments[1]", p, str(v))
        elif kind:
            b.type(f'[name="{p}"]', v)
        else:
            PROBLEMS.append(f"no field for {p}")


def walk(acta, out):
    data = tempfile.mkdtemp(prefix="acta-walk-data-")
    port = free_port()
    server = subprocess.Popen([acta, "--data-dir", data, "serve", "--listen", f"127.0.0.1:{port}"], cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    link = None
    for line in server.stdout:
        if line.strip().startswith("http://"):
            link = line.strip()
            break
    base = f"http://127.0.0.1:{port}"
    b = Browser(out)
    try:
        print("Premier démarrage")
        b.go(base)
        b.check("connexion-avant-le-lien", "Se connecter")
        b.go(link)
        b.check("premiere-connexion", "Créer le compte administrateur")
        b.type("#nom", "Martine Lefèvre")
        b.type("#mot_de_passe", "la mairie de saint-jean")
        b.type("#confirmation", "la mairie de saint-jean")
        b.press("main form button[type=submit]")
        expect(b.path() == "/accueil", f"after the first run: {b.path()}")
        b.check("accueil-administrateur", "Accueil")

        print("Comptes")
        accounts = [("paul.durand", "Paul Durand", "gestionnaire", "", "les arrêtés de carrière"),
                    ("anne.roussel", "Anne Roussel", "archiviste", "", "les archives départementales"),
                    ("marquenval", "Mairie de Marquenval", "lecteur", "Marquenval-sur-Canche", "la mairie de marquenval")]
        for login_, name, role, coll, password in accounts:
            b.go(base + "/admin/comptes")
            b.type("#identifiant", login_)
            b.type("#nom", name)
            b.js("document.getElementById('role').value = arguments[0]", role)
            b.type("#collectivites", coll)
            b.type("#mot_de_passe", password)
            b.press("form[action='/admin/comptes'] button[type=submit]")
            expect(b.path() == f"/admin/comptes?cree={login_}", f"account {login_}: {b.text('main')[:300]}")
        b.check("comptes", "Comptes")
        for page, title in [("/admin/jetons", "Jetons"), ("/admin/journal", "Journal"), ("/aide", "Aide"),
                            ("/accessibilite", "accessibilité"), ("/nulle-part", "Page introuvable")]:
            b.go(base + page)
            b.check(page.strip("/").replace("/", "-"), title)

        print("Actes, par un gestionnaire")
        login(b, base, "paul.durand", "les arrêtés de carrière")
        sealed = {}
        for template in ["arrete-nomination-stagiaire", "arrete-avancement-echelon", "arrete-conge-sante",
                         "contrat-agent-contractuel", "deliberation"]:
            fixture = json.load(open(os.path.join(ROOT, "fixtures/acts", template + ".json")))
            b.go(base + "/actes/nouveau")
            b.js("document.getElementById('collectivite').value = '216295105'")
            b.js("document.querySelector('input[name=modele][value=\"' + arguments[0] + '\"]').click()", template)
            b.press("main form button[type=submit]")
            b.check(f"formulaire-{template}", "Nouvel acte")
            fill(b, fixture["data"])
            b.press("form.act-form button.button[value=enregistrer]")
            if "Erreur" in b.title():
                PROBLEMS.append(f"{template}: not saved: {b.text('.error-summary')[:400]}")
                continue
            act = b.path().split("?")[0]
            b.go(base + act + "/apercu")
            b.check(f"apercu-{template}", "Aperçu")
            b.go(base + act + "/sceller")
            b.check(f"sceller-{template}", "Sceller")
            b.press("main form button[type=submit]")
            b.check(f"acte-{template}", "Acte ")
            shown = b.text("#empreinte")
            req = urllib.request.Request(base + act + "/pdf", headers={"Cookie": b.cookie()})
            pdf = urllib.request.urlopen(req).read()
            expect(hashlib.sha256(pdf).hexdigest() == shown, f"{template}: the PDF's SHA-256 is not the one shown")
            sealed[template] = (act, pdf)
        b.go(base + "/campagnes")
        b.check("campagnes", "Campagnes")

        print("Recherche, par une archiviste")
        login(b, base, "anne.roussel", "les archives départementales")
        b.go(base + "/recherche")
        b.type("main input[name=q]", "nomination")
        b.press("main form button[type=submit]")
        b.check("recherche", "Rechercher")
        expect("2026_ARR_00001" in b.text("main"), "the archivist does not find the nomination")
        expect("Plouvenel" not in b.text("main"), "the archivist sees the agent's name")
        b.go(base + "/transferts")
        b.check("transferts", "Transferts")

        print("Espace collectivité, par un lecteur d'une autre commune")
        login(b, base, "marquenval", "la mairie de marquenval")
        b.go(base + "/collectivite")
        b.check("espace-collectivite", "Espace collectivité")
        b.go(base + sealed["arrete-nomination-stagiaire"][0] if sealed else base + "/actes/x")
        b.check("acte-d-une-autre-commune", "Page introuvable")
        b.go(base + "/admin/comptes")
        b.check("acces-refuse", "Accès refusé")
        b.press(".site-header form button")

        print("Vérifier un document, sans compte")
        if sealed:
            pdf = sealed["arrete-nomination-stagiaire"][1]
            tampered = bytearray(pdf)
            tampered[len(pdf) // 2] ^= 1
            for name, content, verdict in [("authentique", pdf, "Document authentique"),
                                           ("modifie", bytes(tampered), "Document non authentique")]:
                path = os.path.join(out, f"{name}.pdf")
                open(path, "wb").write(content)
                b.go(base + "/verifier")
                b.s("POST", f"/element/{b.find('#document')}/value", {"text": path})
                b.press("main form button[type=submit]")
                b.check(f"verifier-{name}", verdict)

        print("Campagne")
        subprocess.run([acta, "--data-dir", data, "campaign", "mapping", "set",
                        "fixtures/campaigns/arrete-reclassement.mapping.json"], cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        login(b, base, "paul.durand", "les arrêtés de carrière")
        b.go(base + "/campagnes/nouvelle")
        b.check("campagne-nouvelle", "Nouvelle campagne")
        b.js("document.querySelector('main select').value = 'arrete-reclassement'")
        csv = os.path.join(ROOT, "fixtures/campaigns/arrete-reclassement.exemple.csv")
        b.s("POST", f"/element/{b.find('main input[type=file]')}/value", {"text": csv})
        b.press("main form button[type=submit]")
        b.check("campagne-controle", "Contrôle du fichier")
        b.press("main form button[type=submit]")
        b.check("campagne-prete", "Campagne")
        b.press("main a[href$='/lancer']")
        b.check("campagne-lancer", "Lancer")
        b.press("main form button[type=submit]")
        campaign = b.path().split("?")[0]
        for _ in range(150):
            if "Terminée" in b.text("main"):
                break
            time.sleep(1)
            b.go(base + campaign)
        b.check("campagne-terminee", "Campagne")
        expect("Terminée" in b.text("main"), "the campaign never ends")
    finally:
        b.close()
        server.kill()
        server.wait()
        shutil.rmtree(data, ignore_errors=True)


def main():
    args = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    args.add_argument("--acta", default=os.path.join(ROOT, "target/release/acta"))
    args.add_argument("--out", help="where the screenshots go (default: a new temporary directory)")
    a = args.parse_args()
    a.out = a.out or tempfile.mkdtemp(prefix="acta-walk-")
    os.makedirs(a.out, exist_ok=True)
    walk(a.acta, a.out)
    print(f"Screenshots: {a.out}")
    if PROBLEMS:
        print("\n".join(["Problems:"] + PROBLEMS))
        sys.exit(1)
    print("No problem found.")


if __name__ == "__main__":
    main()
