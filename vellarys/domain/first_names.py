"""Common Brazilian first names, folded (lowercase, no accents).

A bare reply to "como posso te chamar?" is taken as a name only when its first word is one of
these; after an explicit phrase ("meu nome é") a capitalised word outside the list counts too.
"""

from vellarys.domain.text import word_set

FIRST_NAMES = word_set(
    """
    adriana adriano agatha agnaldo aila alan alana alberto alessandra alessandro alex alexandra
    alexandre alice aline alisson allan amanda ana anderson andre andrea andreia andressa angela
    angelica anna antonia antonio aparecida aparecido ariane arthur artur augusto aurora barbara
    beatriz benedito benjamin bernardo bianca bruna bruno caio camila camile carina carla carlos
    carmem carolina caroline cassia cassio catarina cecilia celia celso cesar charles cintia clara
    claudia claudio cleber cleide cristiane cristiano cristina daiane daniel daniela daniele
    danilo davi david debora denis denise diana diego diogo douglas eduarda eduardo elaine eliane
    elias elisa elisangela eliza ellen emanuel emanuelly emerson emilly enzo erica erick erika
    evandro everton fabiana fabiano fabio fabricio felipe fernanda fernando filipe flavia flavio
    francisca francisco gabriel gabriela gabriele geovana geraldo gilberto gilmar gilson giovana
    giovanna giovanni gisele glaucia gloria graziele guilherme gustavo heitor helena helio
    henrique hugo iara igor ingrid iris isaac isabel isabela isabella isabelle isadora ivan ivone
    jaqueline jefferson jenifer jessica joana joao joaquim jonas jonatas jorge jose josiane juan
    julia juliana juliano julio kaique karen karina katia kaua kelly kevin laila lara larissa
    laura lauro leandro leila leonardo leticia levi lidia lilian liliane livia lorena lorenzo luan
    luana lucas lucia luciana luciano lucimara luis luisa luiz luiza luna maiara maira manuela
    marcela marcelo marcia marcio marco marcos margarete maria mariana marilene marina mario
    marisa marlene marta mateus matheus maura mauricio mauro mayara melissa michele michelle
    miguel milena mirela miriam monica murilo nadia natalia natan nathalia nelson nicolas nicole
    nilson nina noah norma olivia osvaldo otavio pablo paloma patricia paula paulo pedro percival
    priscila rafael rafaela raimunda raimundo raquel rayssa rebeca regina reginaldo renan renata
    renato ricardo roberta roberto robson rodrigo rogerio romulo ronaldo rosa rosana rosangela
    rose rosemeire rubens ruth sabrina samanta samuel sandra sara sarah sebastiao sergio silvana
    silvia silvio simone sofia solange sonia sophia stefany suelen sueli tainara talita tamires
    tania tatiana tereza thais thiago tiago valdir valeria valter vanessa vania vera veronica
    vicente victor vinicius vitor vitoria viviane wagner waldir walter wanderson washington
    wellington wesley willian wilson yasmin yuri zilda
    """
)
