"""The danger check: acute danger answers 112 first; false friends and past events do not."""

from __future__ import annotations

import pytest

from bot.routing import Router


@pytest.fixture(scope="module")
def router() -> Router:
    return Router.load()


ACUTE = [
    # fire and smoke
    "help, er slaan vlammen uit het dak van de schuur",
    "er komt dikke zwarte rook onder de deur van de buren vandaan",
    "the kitchen next door is on fire",
    "Es brennt im Treppenhaus, überall Rauch",
    "il y a un incendie dans l'immeuble",
    # unconscious, not breathing, bleeding
    "mijn oma is gevallen en reageert niet meer",
    "er ligt een man bewusteloos bij de bushalte",
    "my flatmate collapsed and is not breathing",
    "someone is bleeding heavily from his head",
    "Er ist bewusstlos und atmet nicht",
    "elle ne respire plus, venez vite",
    # weapon, fight, robbery, break-in now
    "er staat nu een man met een mes te zwaaien op het plein",
    "a man is pointing a gun at people outside the shop",
    "er zijn op dit moment drie mannen aan het vechten voor de kroeg",
    "er is nu iemand aan het inbreken bij de buren, ik zie een zaklamp in hun huis",
    "someone is breaking into my neighbour's car right now",
    "ik ben net beroofd van mijn telefoon, de jongen rent richting het station",
    # water, jumping
    "er is net een kind in de maas gevallen",
    "a woman is standing on the edge of the bridge and wants to jump",
    # domestic violence right now
    "mijn buurman slaat zijn vrouw, ik hoor het nu, ze schreeuwt om hulp",
    "my dad is hitting my mum right now",
    # drunk driver now
    "er rijdt nu een dronken bestuurder zigzaggend over de singel",
    # gas with symptoms, hit gas pipe
    "sterke gaslucht in huis en mijn dochter is duizelig",
    "de aannemer heeft een gasleiding geraakt en het sist",
    # a break-in told as done, but the burglars are still there
    "bij de overburen is ingebroken en de inbrekers zijn nog binnen",
    "inbraak in de flat naast ons, ze zijn nog bezig",
    "cambriolage en cours au rez-de-chaussee",
    # "a nightmare" as an exclamation is no dream: the fire is real
    "wat een nachtmerrie, de keuken staat in brand",
    "what a nightmare, the kitchen is on fire",
    # round 4 contrasts: the same words, but the danger is there now
    "de vrachtwagen heeft de gasmeter van de buren geraakt en het gas stroomt eruit",
    "a van knocked off the gas meter next door and gas is pouring out",
    "de brand is niet uit, er komen weer vlammen uit de schuur",
    "sinds vanochtend ligt mijn opa op de grond en hij reageert niet",
    "elle est tombee depuis ce matin et ne repond plus",
    "de koolmonoxidemelder gaat af en we zijn allemaal misselijk",
    # round 5: someone from before is back now armed, a child named first, a boat in dialect
    "de man die vorige week mijn zoon bedreigde loopt nu weer voor ons huis met een mes",
    "mijn kleuter huilt op de gang en de oppas schopt hem, nu",
    "e bootje is op de Maas omgesjlage, d'r zitte kinder in",
    # a hazard lasts though nobody is hurt (yet): "niemand gewond" does not end a fire
    "we zijn allemaal veilig buiten maar de zolder staat nog in brand",
    "nobody's hurt, but the bin store behind the flats is on fire",
    "es wurde niemand verletzt, aber die Scheune brennt",
    "niemand geraakt, maar er wordt hier nog steeds geschoten",
    # the burglars being gone ends the burglary, not the injury they left
    "de inbrekers zijn weg maar mijn vader ligt bewusteloos op de grond",
    # round 6: people climbing in through a window, now (read as German or French, their cues)
    "er klimt nu iemand door het raam van de buren",
    "gerade steigen zwei Männer durch das Kellerfenster beim Nachbarn",
    "deux types entrent par la fenetre de l'ecole en ce moment",
]

NOT_ACUTE = [
    # false friends
    "de lamp in de portiek brandt niet",
    "de rookmelder piept omdat de batterij leeg is",
    "de brandgang achter de huizen ligt vol afval",
    "ik wil een fiets kopen, waar vind ik een goede winkel",
    # past events, no danger now
    "vorige week is er bij ons ingebroken, hoe doe ik aangifte",
    "gisteren was er een vechtpartij bij de kroeg, nu is het rustig",
    "last week someone broke into my car",
    "my phone was stolen yesterday, how do i report it",
    "mijn auto is vannacht in brand gestoken, de brandweer heeft al geblust",
    # worries, habits
    "mijn zus wordt soms geslagen door haar vriend, ik maak me zorgen",
    "i think my neighbour hits his wife sometimes but nothing is happening right now",
    # a seller who does not answer is no medical emergency
    "ik heb een telefoon betaald en de verkoper reageert niet meer",
    # a neighbour quarrel over a fence is no burglary
    "we hebben ruzie met de buurman over de schutting",
    # a break-in told as done, with no sign that anyone is still there (found afterwards)
    "er is ingebroken in mijn schuur, mijn racefiets is weg",
    "we got burgled while we were at the carnival parade",
    # not real or not meant: a dream, a film, a joke, hyperbole, a course, kitchen knives
    "ik droomde dat ons huis in brand stond, zo eng",
    "in de film die we keken schiet de held de hele bende neer",
    "haha ik vermoord je als je mijn fiets weer leent",
    "mijn hoofd ontploft van al dat huiswerk",
    "I'm drowning in emails this week",
    "we did a first aid course at work and practised on a dummy",
    "where can I get my kitchen knives sharpened in Maastricht",
    # over, habitual, or help wanted afterwards
    "mijn buurvrouw wordt geslagen door haar man maar het gebeurt niet nu",
    "I'd like someone to talk to after the robbery at my shop",
    "two men attacked me last Saturday outside the station",
    # round 4: over and handled, fine again, hyperbole, a hobby, a game, a question
    "the small fire in the bin is already out, who replaces the bin",
    "onze rookmelder piepje elke minuut, batterij vervangen?",
    "my smoke alarm went off because of the steam from the shower",
    "die curry was zo heet, mijn mond staat in brand",
    "de uitgebrande scooter staat al een week op de stoep",
    "ik ben lid van de schutterij, zaterdag is het schuttersfeest",
    "we went to the shooting range for his birthday",
    "welk mes gebruik je voor een pompoen",
    "mijn neefje speelt de hele dag Fortnite en roept dat hij doodgaat",
    "hoe voorkom ik brand in de keuken",
    "wat moet ik doen bij een overval in mijn winkel, is daar een training voor",
    "vijf euro voor een koffie, dat is toch gewoon een overval",
    "op de ring ligt een doodgereden vos op de rijbaan",
    "mijn moeder viel vanochtend flauw, de huisarts is geweest en ze is weer helemaal in orde",
    "I cut my thumb, lots of blood but a plaster did the trick",
    "gas smell near the drain outside, no headache or anything, who do I call",
    "vor drei Tagen hat mir jemand auf der Straße ein Messer gezeigt",
    "ce matin on a eu un petit feu de poubelle, les pompiers sont deja venus",
    # round 5: a kitchen knife, the Maas in dialect without anyone in it
    "mijn vrouw staat met een mes in de keuken de uien te snijden, wat eten we",
    "mer goon vanaovend zwumme in de Maos",
    # unhurt ends a person's harm, and a fire brigade that has come and gone ends a fire
    "mijn buurman gleed uit op het ijs, niemand gewond, hij liep zo weer door",
    # round 5: a song in one's head, burglars long gone, worn out, almost fell, not a fire
    "dat liedje over schieten zit de hele dag in mijn hoofd",
    "inbrekers zijn al lang ervandoor, komt er iemand sporen zoeken",
    "ich bin total erschossen nach dem Marathon",
    "bijna gevallen over een losse stoeptegel op de Markt",
    "het is geen brand, het is stoom uit de wasserette",
    "the kids are safe with me, it's quiet right now, but he hit her last night",
    # round 6: a tree on a car, a roof that collapsed in the storm with no one under it
    "er ligt een grote tak op mijn auto sinds de storm, wie haalt die weg",
    "het dak van de schuur is ingestort door de storm",
    # round 6: a worry about ongoing abuse is still no 112 (an after cue ends a crime)
    "ik maak me zorgen om de buurvrouw, haar man slaat haar",
    # round 6: a cat is no burglar
    "de kat klimt altijd door het raam naar binnen",
]


@pytest.mark.parametrize("text", ACUTE)
def test_acute_danger_answers_112_first(router: Router, text: str) -> None:
    result = router.route(text)
    assert result.channel == "112", result
    assert result.emergency
    assert result.danger is not None


@pytest.mark.parametrize("text", NOT_ACUTE)
def test_false_friends_and_past_events_are_not_112(router: Router, text: str) -> None:
    result = router.route(text)
    assert result.channel != "112", result
    assert not result.emergency


# Over for the rules, yet the learned layer still adds 112 first (its danger estimate is about
# 0.9, at the line `Limits.danger_over`; out of fold a higher line lost emergencies and saved no
# over-triage, so the line stays and these are known over-triage: docs/routing.md, rounds 5, 6).
OVER_FOR_THE_RULES = [
    "small fire in the oven this afternoon, the fire brigade already came and left",
    "het vuurtje in de prullenbak is al uit, maar de bak is gesmolten",  # round 6 model: 0.91
]


@pytest.mark.parametrize("text", OVER_FOR_THE_RULES)
def test_the_danger_check_ends_a_fire_that_is_out(router: Router, text: str) -> None:
    result = router.route_by_rules(text)
    assert result.channel != "112", result
    assert router.route(text).channel == "112"  # when the model learns this, move it to NOT_ACUTE


# A cue that ends one kind of danger must not hide another: the danger check itself says 112.
NOT_HIDDEN = [
    "hij is gevallen en sindsdien reageert hij niet meer",
    "het is geen brand maar mijn vader is net flauwgevallen en ademt niet",
    "it's not a fire but my dad collapsed and is not breathing",
    "er zit een stuk glas in mijn hoofd en het bloedt heel erg",
    "there is glass stuck in my head and it is bleeding a lot",
    "il a une balle dans la tete, il saigne",
    "we voelen ons niet ziek maar de schuur staat in brand",
    "de brandweer is geweest maar mijn moeder is nu heel benauwd",
    "die Feuerwehr war schon da, aber mein Vater bekommt keine Luft",
    "les pompiers sont venus mais ma mere ne respire plus",
    "niemand is ziek, maar opa ligt op de grond en reageert niet",
    "gene is ziek, mer de sjoer sjtaot in de fik",
    # A calm cue ends what it says is over, an unhurt cue the harm it says is not there; a danger
    # told after a "maar" / "but" that follows either still counts (one sentence per cue).
    "het vuur is uit maar mijn vader ademt niet meer",
    "de vlammen zijn al geblust maar de buurman is bewusteloos",
    "de brand is gelukkig afgelopen maar mijn moeder ligt bewusteloos op de grond",
    "hier zijn normaal geen inbraken maar er staat nu een man met een mes in de tuin",
    "nu is het rustig maar mijn moeder bloedt heel erg",
    "nu is hij weg maar mijn vrouw ligt op de grond en reageert niet",
    "de dader is al weg maar mijn vriend bloedt heel erg",
    "hij is weg maar mijn broer is neergestoken en bloedt heel erg",
    "ik ben niet in gevaar maar mijn buurman ligt bewusteloos in de tuin",
    "voor mij is het niet acuut maar mijn opa ademt niet meer",
    "de brand is al geblust maar de buurman reageert niet meer",
    "hij is niet agressief maar hij ligt bewusteloos op de stoep",
    "er is niemand in huis maar er komt dikke rook uit het raam",
    "niemand binnen gelukkig, maar de schuur staat in brand",
    "de daders zijn al lang weg maar mijn vader is bewusteloos",
    "het slaan gebeurt niet meer maar nu ligt ze bewusteloos",
    "dat liedje zit in mijn hoofd maar mijn vader ademt niet",
    "the fire is out but my dad is not breathing",
    "the flames are already out but my neighbour is unconscious",
    "the bandage did the trick but now he is not breathing",
    "i'm not in danger but my neighbour is unconscious on the floor",
    "there is no danger for me but my husband collapsed and is not breathing",
    "nothing is going on right now but my dad is unconscious",
    "he's gone but my friend is bleeding heavily",
    "they are gone now but my brother was stabbed and is bleeding a lot",
    "nobody is home now but smoke is pouring out of the windows",
    "no one is inside anymore but the house is on fire",
    "everything is quiet now but she is not breathing",
    "it's calm now but he is bleeding heavily from his head",
    "just kidding about the last one, but my dad really collapsed and isn't breathing",
    "this is for my homework but right now my neighbour collapsed",
    "it's not happening now but my mum is unconscious on the floor",
    "that song is stuck in my head but my dad is not breathing",
    "es ist gut ausgegangen aber jetzt ist mein Mann bewusstlos",
    "keine Gefahr für mich, aber mein Mann ist bewusstlos und atmet nicht",
    "es ist vorbei aber meine Mutter atmet nicht",
    "alles ruhig aber mein Vater ist bewusstlos",
    "pas de danger pour moi mais mon mari est inconscient",
    "il n'est pas violent mais il est inconscient et ne respire plus",
    "c'est fini mais ma mere ne respire plus",
    "noe is t roesig mer opa ademt neet",
    "neet noe, mer opa ligk op de grond en reageert neet",
    "de rookmelder piept om de batterij maar mijn opa is bewusteloos",
    "de rookmelder ging af door het koken maar nu staat de keuken echt in brand",
    "the smoke alarm went off because of cooking but now the kitchen is on fire",
    # "geen grapje", "niet om te lachen": the opposite of a joke
    "geen grapje, er ligt een man bewusteloos op straat",
    "dit is geen geintje, het huis van de buren staat in brand",
    "dit is niet om te lachen, mijn buurman ligt bewusteloos op straat",
    # someone else not at home, nobody inside any more, "i think he's gone"
    "i think he's gone, he's not breathing and his lips are blue",
    "they're not home and smoke is coming out of their kitchen window",
    "mijn man is niet thuis en mijn zoon is bewusteloos",
    "de buren zijn niet thuis en er komt rook uit hun huis",
    "er is niemand meer binnen en er komt dikke rook uit het raam",
    "nobody is home now and smoke is pouring out of the windows",
    # a threat to set fire ends the fire, not the knife he holds now
    "hij zei dat hij het huis in brand steekt en nu staat hij met een mes voor de deur",
    # something heavy on a person, and a wall that collapsed on someone is not a false friend
    "de boom ligt op mijn vader",
    "er is een boom op mijn vader gevallen en hij kan niet bewegen",
    "a tree fell on my dad and he can't get up",
    "de muur is ingestort en ligt op mijn vader",
    "de steiger is ingestort en er ligt iemand onder",
    # a dog that bit a child: the child bleeds, not the dog
    "de hond beet mijn zoon en hij bloedt heel erg",
    # a worry, a question where to report: past for a crime, not for a faint or a fire
    "ik maak me zorgen, mijn vader reageert niet meer en ademt nauwelijks",
    "ik maak me echt zorgen om mijn moeder, ze ligt op de grond en reageert niet",
    "i'm worried, my dad collapsed and isn't breathing",
    "ik weet wie het gedaan heeft, maar mijn broer bloedt heel erg uit zijn hoofd",
    "met wie kan ik praten, mijn vriend ligt bewusteloos op straat",
    "mijn zus vraagt waar ze heen moet, haar man ligt bewusteloos in de gang",
    "waar kan ik dit melden, er ligt een man bewusteloos op straat",
    "how do i report a fire, the house next door is on fire",
    "who can help, my dad collapsed and isn't breathing",
    # the unhurt cues: the speaker or everyone is safe, but someone else is not
    "ik ben buiten en veilig, maar mijn man ligt binnen bewusteloos",
    "iedereen is veilig buiten, maar de buurman ligt bewusteloos op straat",
    "mijn vrouw is weer de oude, maar nu is mijn zoon flauwgevallen en reageert niet",
    "met mij gaat het weer goed maar mijn man ademt niet meer",
    "ik ben veilig maar mijn man is bewusteloos",
    "niemand is gewond maar ze zijn nu aan het vechten met stokken voor de kroeg",
    "er zijn geen gewonden maar er is nu iemand aan het inbreken bij de buren",
    "hij doet zichzelf geen pijn maar hij slaat nu zijn vrouw, ik hoor het",
    "ik zit in de auto en veilig maar mijn dochter is in het water gevallen",
    "everyone is safe but my neighbour is lying unconscious in the street",
    "she's fine again but now my son collapsed and is not breathing",
    "i'm safe now but my husband is unconscious on the kitchen floor",
    "i'm safe right now but he is still hitting my sister",
    "nobody is hurt but they are fighting right now outside the bar",
    "nobody got hurt yet but someone is breaking into my car right now",
    "she's safe now but my dad is not breathing",
    "he isn't a danger to anyone but he collapsed and is not breathing",
    "allen geht es gut aber der Nachbar liegt am Boden",
    "verletzt wurde niemand aber mein Vater atmet nicht",
    "tout le monde va bien mais mon voisin est inconscient",
    "personne n'est blesse mais ma mere ne respire plus",
    "il va mieux maintenant mais ma fille ne respire plus",
]


@pytest.mark.parametrize("text", NOT_HIDDEN)
def test_a_cue_for_one_danger_does_not_hide_another(router: Router, text: str) -> None:
    assert router.route_by_rules(text).channel == "112"


def test_unsure_whether_acute_shows_112_first_and_everyday_channel_second(router: Router) -> None:
    # violence with no time cue at all: 112 first, the everyday channel as alternative
    result = router.route("twee mannen met een koevoet lopen achter de tuinen langs")
    assert result.channel == "112"
    assert result.confidence < 1.0


def test_domestic_violence_now_keeps_veilig_thuis_as_second(router: Router) -> None:
    result = router.route("mijn buurman slaat zijn vrouw, ik hoor het nu door de muur")
    assert result.channel == "112"
    assert "veilig-thuis" in result.alternatives


def test_danger_words_inside_long_text_are_still_found(router: Router) -> None:
    filler = "ik woon hier al jaren en het is meestal een rustige buurt. " * 60
    result = router.route(filler + "maar nu staat het huis van de buren in brand")
    assert result.channel == "112"


@pytest.mark.parametrize(
    "text",
    [
        # no pattern foresees these; the danger words do
        "opa is net in de tuin gevallen, hij is lijkbleek en reageert bijna niet meer, help",
        "my roommate is shaking all over and foaming at the mouth, please hurry",
        "mein Vater ist gestürzt, er blutet am Kopf und ist ganz bleich",
    ],
)
def test_danger_words_catch_emergencies_told_in_everyday_words(router: Router, text: str) -> None:
    assert router.route(text).channel == "112"


@pytest.mark.parametrize(
    "text",
    [
        "de buurman heeft een pistool in zijn schuur liggen, ik wil dat anoniem melden",
        "iemand heeft mijn banden lek gestoken",
        "mijn oma is vorige week gevallen en ligt nog in het ziekenhuis, wie helpt met haar post?",
    ],
)
def test_danger_words_alone_do_not_make_an_emergency(router: Router, text: str) -> None:
    assert router.route(text).channel != "112"
