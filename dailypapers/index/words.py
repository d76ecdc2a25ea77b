"""Word lists for the words a reader sees (keyword chips, summaries, "because" lines), without a tagger.

English stop words (scikit-learn's list), the boilerplate of scientific prose, the verbs abstracts use, and the
connectives a sentence leans on its neighbour with. A phrase a person would write as a topic is a run of
content words that ends in a noun: these lists tell a noun's neighbours apart well enough on abstracts.
"""

from __future__ import annotations

import re

# scikit-learn's ENGLISH_STOP_WORDS (BSD-3-Clause; the Glasgow Information Retrieval Group's list), kept here so
# that starting the site does not import scikit-learn and SciPy for a word list (tests/test_start.py compares).
ENGLISH_STOP_WORDS = frozenset(
    """
a about above across after afterwards again against all almost alone along already also although always am among
amongst amoungst amount an and another any anyhow anyone anything anyway anywhere are around as at back be became
because become becomes becoming been before beforehand behind being below beside besides between beyond bill both
bottom but by call can cannot cant co con could couldnt cry de describe detail do done down due during each eg eight
either eleven else elsewhere empty enough etc even ever every everyone everything everywhere except few fifteen
fifty fill find fire first five for former formerly forty found four from front full further get give go had has
hasnt have he hence her here hereafter hereby herein hereupon hers herself him himself his how however hundred i ie
if in inc indeed interest into is it its itself keep last latter latterly least less ltd made many may me meanwhile
might mill mine more moreover most mostly move much must my myself name namely neither never nevertheless next nine
no nobody none noone nor not nothing now nowhere of off often on once one only onto or other others otherwise our
ours ourselves out over own part per perhaps please put rather re same see seem seemed seeming seems serious several
she should show side since sincere six sixty so some somehow someone something sometime sometimes somewhere still
such system take ten than that the their them themselves then thence there thereafter thereby therefore therein
thereupon these they thick thin third this those though three through throughout thru thus to together too top
toward towards twelve twenty two un under until up upon us very via was we well were what whatever when whence
whenever where whereafter whereas whereby wherein whereupon wherever whether which while whither who whoever whole
whom whose why will with within without would yet you your yours yourself yourselves
""".split()
)
# Words of any scientific abstract: never a topic two papers share.
BOILERPLATE = frozenset(
    """
abilities ability able abstract achieve achieved achieves achieving address addressed addresses addressing aim
aims al allow allowed allows applied applies apply applying approach approaches aspect aspects attempt away
based basic believe benefit benefits better called capabilities capability central certain challenge
challenges challenging common commonly compared comparison comprehensive consider considered conventional
critical crucial current currently demonstrate demonstrated demonstrates describe described designed desirable
despite different difficult directly effective effectively effectiveness efficient efficiently enable enables
ensure essential et etc evaluate evaluated excellent existing experiment experimental experiments extensive
extensively extent fail fails far finally find finding findings focus following framework fundamental
furthermore gain gains general given goal goals good great help highly hoc holistic however idea important
impressive improve improved improvement improvements improves improving including incorrect increase
increasing independent inherent insight insights instead intricate introduce introduced introduces issue
issues iterations key lack lead leads leverage leverages leveraging like limitation limitations limited main
make makes making manner massive method methods modern moreover necessary need needs new notably novel number
numerous obtain obtained offer offers ones outperform outperforming outperforms overall paper particular
particularly perform performance performs possible potential powerful present presented presents previous
previously principled problem problems promising proper propose proposed proposes provide provided provides
providing recent recently related relevant remain remains remarkable require required requires research
respectively result results reveal reveals role scenarios second setting settings several show showed shown
shows significant significantly simple specific specifically strong studied studies study substantial
substantially success successful suggest suggests superior task tasks technique techniques terms third thus
typically unlike use used useful uses using various way ways wide widely work works yield yields
""".split()
)

# scikit-learn's English stop words hold a few nouns that name topics ("recommender system", "fire detection").
TOPICAL = frozenset("bill bottom cry detail fire front interest mill move name part side system thick thin top".split())
STOPWORDS = (
    (ENGLISH_STOP_WORDS - TOPICAL)
    | BOILERPLATE
    | frozenset("did does doing especially having just theirs shall".split())
)

# Nouns every paper has: a fine end of a chip ("language models"), but alone no topic two papers share.
GENERIC_NOUNS = frozenset(
    """
accuracy algorithm algorithms analysis baseline baselines benchmark benchmarks data dataset datasets domain
domains experiment information learning model models network networks output outputs process processes quality
response responses solution solutions system systems tool tools training
""".split()
)

# Verbs of abstracts (base forms; their -s, -es, -ed, -d and -ing forms follow): a chip never starts or ends
# in one, so a run of content words stops at one ("method prunes temporal tokens").
_VERB_STEMS = """
accelerate achieve act adapt add address adopt advance aggregate align allocate allow analyse analyze answer
apply argue ask assess assign augment automate boost bridge build calibrate capture carry cause combine
compare compose compress compute condition construct contain convert coordinate correct correspond couple
craft create decode decompose decouple define degrade deliver demonstrate denoise depend deploy derive detect
determine develop differ diminish discover distil distill distinguish drive emerge employ empower enable
encode encounter endow enhance ensure equip estimate evaluate exceed exhibit expand expedite explain exploit
explore extend extract facilitate fine-tune fit follow forget formulate fuse generalise generalize generate
grow guide handle harness help hinder hypothesize identify imitate implement improve include incorporate
indicate infer inform inject inspire instill integrate interpret introduce investigate involve lead learn
leverage maintain make measure meet mitigate necessitate observe obtain offer operate optimise optimize
orchestrate outline outperform output overcome perform play pose possess predict present preserve prevent
produce propose provide prune push reach recall recover reduce refine reflect reinforce reintroduce release
rely remain render replace represent reproduce require resolve retain retrieve reuse reveal rewrite say scale
select show simulate solve struggle suffer suggest summarise summarize surpass synthesise synthesize tackle
teach tell tend train transfer transform translate treat tune uncover undermine understand unify unlock update
use utilise utilize validate verify
""".split()
_IRREGULAR = "termed built seen given known shown taken made done found brought held led drawn taught thought".split()


def _forms(stem: str) -> set[str]:
    base = stem[:-1] if stem.endswith("e") else stem
    forms = {
        stem,
        stem + "s",
        stem + "es",
        stem + "d",
        stem + "ed",
        base + "ing",
        stem + stem[-1] + "ing",
        stem + stem[-1] + "ed",
    }  # "outputting", "omitted"
    if stem.endswith("y"):
        forms |= {stem[:-1] + "ies", stem[:-1] + "ied"}
    return forms


VERBS = frozenset(_IRREGULAR).union(*(_forms(stem) for stem in _VERB_STEMS))
# Words spelt like those verbs' forms that are common as nouns in topics: they stay.
VERB_LOOKALIKES = frozenset(
    """
answer answers control decoding denoising encoding fitting learning matching modeling modelling planning
processing prompting ranking reasoning rendering scaling testing training tuning fine-tuning understanding
computing conditioning update updates release releases transfer fit
""".split()
)
_THIRD_PERSON = re.compile(r"[a-z]{2,}(?<![suiy])(?<!ic)s$")
PLURAL_MODIFIERS = frozenset("series species news means sports systems".split())
_ADVERB = re.compile(r"[a-z]{3,}ly$")
ADVERB_LOOKALIKES = frozenset(
    "anomaly assembly family supply monopoly reply butterfly rally ally italy early daily weekly friendly".split()
)


# Adjectives by their ending: a phrase ending in one has lost its noun ("prunes temporal").
_ADJECTIVE_ENDING = re.compile(
    r"(?:ous|ible|able|ful|less|ive|ic|al|(?<!e)ed|-free|-based|-driven|-oriented|-aware|-specific|-agnostic|-level|-scale|-like|-wise)$"
)
ADJECTIVE_LOOKALIKES = frozenset(
    """
signal signals retrieval interval proposal journal tutorial animal material terminal removal arrival trial
portal manual capital hospital metal crystal total goal deal global objective objectives alternative
perspective incentive derivative primitive primitives narrative detective logic music topic topics metric
metrics heuristic heuristics clinic graphic graphics traffic arithmetic rhetoric mechanic critic fabric
physics robotics dynamics statistics linguistics mathematics semantics economics optics genomics kinetics
mechanics electronics analytics ethics hypothesis rationale table tables variable variables cable label labels
""".split()
) | frozenset(
    {
        "individual",
        "principal",
        "rival",
        "potential",
        "vocal",
        "rehearsal",
        "tactic",
        "tactics",
        "epidemic",
        "pandemic",
        "republic",
        "mosaic",
        "cubic",
    }
)
ADJECTIVES = frozenset(
    """
underlying corresponding surrounding leading emerging interesting remaining resulting missing outstanding
able accurate adaptive aligned available broad coarse complex consistent dense diverse early easy entire
fast faster fine free full hard hidden large larger latent long longer low lower main multiple open prior
rich robust same short similar single small smaller sparse strong temporal unified unseen whole wide
""".split()
)

# Openers that lean on the sentence before: a summary shown alone never starts with one.
CONNECTIVE = re.compile(
    r"(?:"
    + "|".join(
        [
            "additionally",
            "also",
            "alternatively",
            "accordingly",
            "afterwards",
            "as a result",
            "besides",
            "by contrast",
            "concretely",
            "consequently",
            "conversely",
            "crucially",
            "finally",
            "first",
            "firstly",
            "for example",
            "for instance",
            "further",
            "furthermore",
            "hence",
            "importantly",
            "in addition",
            "in contrast",
            "in particular",
            "in short",
            "in summary",
            "in turn",
            "in this way",
            "indeed",
            "instead",
            "lastly",
            "likewise",
            "meanwhile",
            "moreover",
            "nevertheless",
            "next",
            "nonetheless",
            "notably",
            "on the other hand",
            "otherwise",
            "overall",
            "second",
            "secondly",
            "similarly",
            "specifically",
            "still",
            "subsequently",
            "then",
            "therefore",
            "third",
            "thirdly",
            "thus",
            "to this end",
            "together",
            "ultimately",
            "yet",
            "however",
            "thereby",
            "here",
            "as such",
            "to that end",
            "in doing so",
            "by doing so",
        ]
    )
    + r")\b",
    re.IGNORECASE,
)


def starts_with_connective(sentence: str) -> bool:
    return bool(CONNECTIVE.match(sentence.strip()))


def is_verb(word: str) -> bool:
    """A verb form of the list ("prunes", "Self-Improve"), or a third-person form ("plays") where `followed`
    says a content word comes next: a plural noun rarely modifies another noun."""
    low = word.lower()
    if "n't" in low:
        return True
    last = low.rsplit("-", 1)[-1]
    return (low in VERBS or ("-" in low and last in VERBS and not last.endswith("ing"))) and low not in VERB_LOOKALIKES


def is_verb_between(word: str) -> bool:
    """A word that looks like a plural noun, followed by another content word: most often a verb ("memory
    plays a role", "RLVR diminishes")."""
    return word.islower() and bool(_THIRD_PERSON.search(word)) and word not in PLURAL_MODIFIERS


def is_adverb(word: str) -> bool:
    low = word.lower()
    return bool(_ADVERB.match(low)) and low not in ADVERB_LOOKALIKES


def is_adjective(word: str) -> bool:
    """An adjective by the list or by its ending, or a compound participle ("self-improving")."""
    low = word.lower()
    if low in ADJECTIVE_LOOKALIKES or any(c.isupper() for c in word[1:]):  # acronyms and names stay
        return False
    last = low.rsplit("-", 1)[-1]
    compound_participle = "-" in low and last.endswith("ing") and last in VERBS and last not in VERB_LOOKALIKES
    return low in ADJECTIVES or compound_participle or bool(_ADJECTIVE_ENDING.search(low))
